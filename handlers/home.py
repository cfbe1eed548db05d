"""The App Home tab: published on app_home_opened; its buttons and the subscription modal.

No Home action has a response_url (Slack sends none from a view), so each answers through the Web API:
example questions and "More" in the person's DM with natobot, lookups and subscriptions in modals, and the
Home itself is published again after a subscription changes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering.engine import Engine
from bot.digest import service as dg
from bot.render import home as view
from bot.slack.deps import Deps
from handlers.common import answer_in_dm, claim, log
from handlers.listener import listener
from handlers.lookup_modal import open_lookup


def topics(engine: Engine) -> tuple[str, ...]:
    return tuple(engine.presentation.topics)


def sample_questions(engine: Engine) -> tuple[str, ...]:
    shown = engine.presentation
    return tuple(dict.fromkeys([*shown.examples, *shown.default_suggestions]))


def today(deps: Deps, now: dt.datetime) -> dict[str, Any] | None:
    """Today's digest as it is posted (default time zone, management objectives included)."""
    try:
        return dg.digest_blocks(dg.today_digest(deps.engine, dg.DEFAULT_TZ, now))
    except dg.DigestError:
        return None


async def home_view(deps: Deps, team: str, now: dt.datetime | None = None) -> dict[str, Any]:
    subscriptions = await deps.store.subscriptions(team or None)
    return view.home_view(topics=topics(deps.engine), examples=sample_questions(deps.engine),
                          digest=today(deps, now or dt.datetime.now(dt.UTC)),
                          subscriptions=[(s, dg.describe(s)) for s in subscriptions],
                          command=deps.settings.natobot_command)


async def publish(deps: Deps, client: AsyncWebClient, user: str, team: str) -> None:
    await deps.post.publish_view(client, user_id=user, view=await home_view(deps, team))


async def handle_home_opened(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    event = body.get("event") or {}
    user = str(event.get("user") or "")
    if event.get("tab", "home") != "home" or not user:
        return
    try:
        if not await claim(deps, body):
            return
        await publish(deps, client, user, str(body.get("team_id") or ""))
    except Exception:
        log.exception("publishing the App Home for %s failed", user)
        deps.metrics.errors.inc(kind="handler")


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id") or ""), str((body.get("team") or {}).get("id") or user.get("team_id") or "")


def _value(body: dict[str, Any]) -> str:
    return str(((body.get("actions") or [{}])[0]).get("value") or "")


async def handle_example(deps: Deps, client: AsyncWebClient, body: dict[str, Any],
                         started: float | None = None) -> None:
    user, team = _who(body)
    question = _value(body)
    if not user or not question:
        return
    try:
        await answer_in_dm(deps, client, user=user, team=team, question=question, where="home", started=started)
    except Exception:
        log.exception("answering a Home example for %s failed", user)
        deps.metrics.errors.inc(kind="handler")


async def handle_unsubscribe(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    user, team = _who(body)
    channel = _value(body)
    subscription = await deps.store.subscription(channel) if channel else None
    # Only a subscription of this workspace, as the Home lists them.
    if subscription is not None and (not team or subscription.team in ("", team)):
        await deps.store.unsubscribe(channel)
    await publish(deps, client, user, team)


def validate_subscription(values: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """(errors by block id, cleaned values) for the subscription modal."""
    errors: dict[str, str] = {}
    if not values["channel"]:
        errors[view.CHANNEL_BLOCK] = "Pick a channel."
    try:
        values["time"] = dg.parse_time(values["time"])
    except ValueError:
        errors[view.TIME_BLOCK] = "Pick a time."
    try:
        values["zone"] = dg.parse_zone(values["zone"] or dg.DEFAULT_TZ)
    except ValueError:
        errors[view.ZONE_BLOCK] = "Not a time zone I know: use an IANA name like Europe/Brussels."
    if values["cadence"] not in ("daily", "weekdays", "weekly"):
        errors[view.CADENCE_BLOCK] = "Pick how often."
    elif values["cadence"] == "weekly" and values["weekday"] is None:
        errors[view.WEEKDAY_BLOCK] = "Pick the day for a weekly digest."
    return errors, values


async def handle_subscribe_submission(deps: Deps, client: AsyncWebClient, body: dict[str, Any],
                                      values: dict[str, Any]) -> None:
    user, team = _who(body)
    try:
        await deps.store.subscribe(channel=values["channel"], team=team, time=values["time"], tz=values["zone"],
                                   weekdays=values["cadence"] == "weekdays", cadence=values["cadence"],
                                   weekday=values["weekday"] if values["cadence"] == "weekly" else None,
                                   include_management=values["include_management"], subscriber=user)
        await publish(deps, client, user, team)
    except Exception:
        log.exception("subscribing %s from the App Home failed", values.get("channel"))
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_home_opened")
    @listener(deps)
    async def on_home_opened(body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_home_opened(deps, client, body)

    @app.action(re.compile(view.ASK_PATTERN))
    @listener(deps, ack=True, answering=True)
    async def on_example(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         context: AsyncBoltContext) -> None:
        await handle_example(deps, client, body, context.get("natobot_started"))

    @app.action(view.LOOKUP_ACTION)
    @listener(deps, ack=True)
    async def on_lookup(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user, _ = _who(body)
        await open_lookup(deps, client, trigger_id=str(body.get("trigger_id") or ""), user=user)

    @app.action(view.SUBSCRIBE_ACTION)
    @listener(deps, ack=True)
    async def on_subscribe(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await deps.post.call(client, "views.open", trigger_id=str(body.get("trigger_id") or ""),
                             view=view.subscribe_view(default_zone=dg.DEFAULT_TZ, default_time=dg.DEFAULT_TIME))

    @app.action(re.compile(view.UNSUBSCRIBE_PATTERN))
    @listener(deps, ack=True)
    async def on_unsubscribe(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_unsubscribe(deps, client, body)

    @app.view(view.SUBSCRIBE_CALLBACK)
    @listener(deps)  # acks itself: with the form's errors, or empty to close the modal
    async def on_subscribe_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        errors, values = validate_subscription(view.subscribe_values((body.get("view") or {}).get("state") or {}))
        if errors:
            await ack(response_action="errors", errors=errors)  # shown under the fields; the modal stays
            return
        await ack()
        await handle_subscribe_submission(deps, client, body, values)
