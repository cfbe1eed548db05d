"""The App Home tab: published with views.publish whenever someone opens it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.answering.compose import DEFAULT_SUGGESTIONS
from bot.digest import DEFAULT_TZ, DigestError, today_digest
from bot.engine import Engine
from bot.render import blocks
from bot.slack_app import Deps
from handlers.common import claim, log

TOPICS = (
    "NATO's International Military Staff: its divisions, offices and who heads them",
    "The NATO command structure, from the North Atlantic Council to the operational commands",
    "Defence policy alignment across NATO commands",
    "The U.S. Mission to NATO's Integrated Mission Strategy: goals, objectives, risks",
)
SAMPLE_QUESTIONS = (*DEFAULT_SUGGESTIONS, "Who heads the IMS?", "Where is JFC Brunssum?", "objective 2.2")


def digest_answer(engine: Engine, now: dt.datetime) -> Answer | None:
    """Today's digest objective, as the digest posts it (its rotation, in the default time zone)."""
    try:
        return today_digest(engine, DEFAULT_TZ, now).answer()
    except DigestError:
        return None


async def home_view(deps: Deps, team: str, now: dt.datetime | None = None) -> dict[str, Any]:
    subscriptions = await deps.store.subscriptions(team or None)
    return blocks.home_view(digest=digest_answer(deps.engine, now or dt.datetime.now(dt.UTC)),
                            subscriptions=subscriptions,
                            sample_questions=list(SAMPLE_QUESTIONS), topics=list(TOPICS),
                            command=deps.settings.natobot_command)


async def handle_home_opened(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    event = body.get("event") or {}
    user = str(event.get("user") or "")
    if event.get("tab", "home") != "home" or not user:
        return
    try:
        if not await claim(deps, body):
            return
        view = await home_view(deps, str(body.get("team_id") or ""))
        await deps.post.publish_view(client, user_id=user, view=view)
    except Exception:
        log.exception("publishing the App Home for %s failed", user)
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], client: AsyncWebClient) -> None:
        deps.track()
        await handle_home_opened(deps, client, body)
