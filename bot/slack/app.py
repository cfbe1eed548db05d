"""Build the one slack-bolt AsyncApp natobot runs, over HTTP or Socket Mode alike."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Mode, Settings
from bot.slack.deps import Deps
from bot.slack.identity import Identity
from bot.slack.retry import handlers
from bot.slack.work import CONTEXT_KEY, WorkQueue

log = logging.getLogger("natobot.slack")

# Slack token shapes: bot, user, app-level, config and refresh tokens. Scrubbed from every log line.
_TOKEN_PATTERN = re.compile(r"\b(xox[abposer]|xapp)-[A-Za-z0-9-]+")


MAX_LOG_CHARS = 2000


def _one_line(message: str) -> str:
    """A log message as one line of bounded length: a line break in a logged value cannot forge a log line."""
    if len(message) > MAX_LOG_CHARS:
        message = f"{message[:MAX_LOG_CHARS]}... [{len(message) - MAX_LOG_CHARS} more characters cut]"
    if "\n" in message or "\r" in message:
        message = message.replace("\r", "\\r").replace("\n", "\\n")
    return message


class RedactSecrets(logging.Filter):
    """Replaces token-shaped strings and the configured secrets in every record passing a handler, and keeps
    each message to one line of at most MAX_LOG_CHARS (tracebacks keep their lines)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_PATTERN.sub(r"\1-[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _one_line(self._clean(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def setup_logging(settings: Settings) -> None:
    """One stderr handler with secret redaction; idempotent."""
    root = logging.getLogger()
    root.setLevel(settings.log_level_number)
    redact = RedactSecrets(settings.secrets())
    handler = next((h for h in root.handlers if getattr(h, "natobot", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.natobot = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    install_redaction(redact)


def install_redaction(redact: RedactSecrets) -> None:
    """Put the filter on every root handler (pytest's capture handlers included) and replace older ones."""
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)


# Bolt runs each listener (after the ack) in a task made by this inner function of its listener runner.
_LISTENER_TASK = "run_ack_function_asynchronously"


async def dispatch(app: AsyncApp, deps: Deps, request: AsyncBoltRequest) -> BoltResponse:
    """`app.async_dispatch`, keeping a handle on the listener tasks it starts (Bolt keeps none).

    The tasks exist before the response is returned, so shutdown, and tests waiting for the app to go
    quiet, see every piece of work a request started from the moment Slack has its ack.
    """
    before = asyncio.all_tasks()
    response = await app.async_dispatch(request)
    for task in asyncio.all_tasks() - before:
        if _LISTENER_TASK in getattr(task.get_coro(), "__qualname__", ""):
            deps.adopt(task)
    return response


def _json_text(req: AsyncBoltRequest) -> str | None:
    """The body as Slack sent it when it is the JSON Bolt parsed `body` from (Events API over HTTP), else None
    (form-encoded commands and clicks, Socket Mode envelopes, replays)."""
    raw = req.raw_body
    # Bolt's own test for a JSON body (slack_bolt.request.internals.parse_body).
    if req.mode == "http" and raw and (req.content_type == "application/json" or raw.startswith("{")):
        return raw
    return None


def make_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    # bot.slack.retry's handlers retry only under a Poster call's policy; other calls are tried once, as before.
    logger = cast(logging.Logger, _LevelFromParents(logging.getLogger("natobot.slack_sdk"), {}))
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, session=session, retry_handlers=handlers(),
                          logger=logger)


class _LevelFromParents(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The Web API client's logger, its `level` the one in force (the configured one, inherited).

    slack_sdk asks `logger.level <= DEBUG` before every call and, when true, formats the whole request (every
    block of the answer) into a debug line. A logger left at NOTSET (0) inherits its level and so always
    passes that test: the line was built for every reply and then dropped. Records still go through the
    logger as before; only that test now sees the level that applies.
    """

    @property
    def level(self) -> int:
        return int(self.logger.getEffectiveLevel())


def build_app(deps: Deps, *, mode: Mode = "http", session: aiohttp.ClientSession | None = None) -> AsyncApp:
    """The AsyncApp with every natobot listener registered, and the work queue in front of them."""
    # Imported here: the handlers import Deps from this module.
    import handlers.actions as actions
    import handlers.assistant as assistant
    import handlers.commands as commands
    import handlers.digest_more as digest_more
    import handlers.edits as edits
    import handlers.events as events
    import handlers.fallback as fallback
    import handlers.feedback as feedback
    import handlers.home as home
    import handlers.intake as intake
    import handlers.lookup_modal as lookup_modal
    import handlers.shortcuts as shortcuts
    import handlers.sources as sources

    settings = deps.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if deps.identity is None:
        deps.identity = Identity(token)
    if deps.work is None:
        deps.work = WorkQueue(deps.store, deps.metrics, classify=intake.classifier(deps),
                              lease=timedelta(seconds=settings.natobot_job_lease), backlog=settings.natobot_backlog)
    work, identity = deps.work, deps.identity

    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        # A plain function: Bolt passes arguments by the names it finds, and a bound method's `self` is one.
        return await identity.authorize(enterprise_id, team_id, user_id)

    async def front(req: AsyncBoltRequest, body: dict[str, Any], context: dict[str, Any],
                    next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Count the request, then the work queue's intake: all before authorization, so before any Slack call."""
        context["natobot_started"] = time.perf_counter()
        if context.get(CONTEXT_KEY) is None:
            kind = str(body.get("type") or ("slash_command" if "command" in body else "unknown"))
            deps.metrics.requests.inc(type=kind)
        return await work.intake(body, context, next, raw=_json_text(req))

    client = make_client(settings, session)
    client.token = None  # set again below: Bolt warns about a token given beside `authorize`
    app = AsyncApp(
        client=client,
        signing_secret=secret,
        # Socket Mode envelopes are not signed; Bolt skips verification for them. Over HTTP bot.slack.server has
        # checked the signature on the raw bytes already; Bolt checks it again, which costs nothing.
        request_verification_enabled=mode == "http",
        # Ack first, answer after: the listener runs once Slack has its 200 (Bolt's default, said out loud).
        process_before_response=False,
        # Authorized from the configured token at once; auth.test runs in the background (bot.slack.identity).
        authorize=authorize,
        before_authorize=front,
        logger=logging.getLogger("natobot.bolt"),
        name="natobot",
    )
    client.token = token
    work.busy_reply = intake.busy_reply(deps, client)
    # edits before events: the `message` listener there would take message_changed and message_deleted.
    # assistant first: it is middleware, and takes messages in assistant threads before any listener.
    for module in (assistant, edits, events, commands, actions, feedback, home, sources, shortcuts, lookup_modal,
                   digest_more):
        module.register(app, deps)
    fallback.register(app, deps)  # last: it takes whatever the others did not
    return app
