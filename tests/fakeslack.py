"""A fake Slack Web API + Socket Mode server for tests: a real aiohttp server on 127.0.0.1.

Point the real clients at it: ``AsyncWebClient(base_url=fake.url)`` for Web API calls, and a Socket Mode client
built on that web client (it calls ``apps.connections.open`` and gets a ``ws://`` URL back on this server).
Every request is recorded as a :class:`Call`; failures can be injected per method with :meth:`FakeSlack.fail_next`.

The replies mirror the shape of Slack's real ones (only the fields a bot plausibly reads), so code under test
exercises the same parsing it does in production.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import WSMsgType, web

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
APP_ID = "A1"
BOT_NAME = "natobot"

# Form-encoded clients send structured arguments as JSON strings; decoding them makes recorded params look the
# same whether the caller used a JSON or a form body.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata"})

EnvelopeType = Literal["events_api", "slash_commands", "interactive"]


@dataclass(frozen=True)
class Call:
    """One request the fake received. ``params`` merges the query string with the form or JSON body."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""

    @property
    def token(self) -> str | None:
        """The token the caller authenticated with: the Bearer header, else a ``token`` parameter."""
        auth = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ").strip() or None
        token = self.params.get("token")
        return token if isinstance(token, str) and token else None


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: float | str | None
    error: str | None


@dataclass(frozen=True)
class _Hang:
    applied: bool  # the call takes effect (a post is stored) before the fake stops answering


def envelope(kind: EnvelopeType, payload: dict[str, Any], *, envelope_id: str | None = None) -> dict[str, Any]:
    """Wrap a payload in a Socket Mode envelope the way Slack does.

    ``payload`` is what the HTTP mode would have posted: an event_callback body (events_api), the slash command
    fields (slash_commands) or the interactive payload (interactive).
    """
    env: dict[str, Any] = {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": kind,
        # Slack lets the ack carry a response only where the HTTP reply body would have mattered.
        "accepts_response_payload": kind == "slash_commands"
        or (kind == "interactive" and payload.get("type") in {"view_submission", "block_suggestion"}),
    }
    if kind == "events_api":
        env["retry_attempt"] = 0
        env["retry_reason"] = ""
    return env


class FakeSlack:
    """Fake Slack server. ``async with FakeSlack() as fake:`` or ``start()`` / ``stop()``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        # Everything Socket Mode clients sent us (acks are the only thing real clients send).
        self.socket_received: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._hangs: dict[str, deque[_Hang | None]] = {}
        self._hang_all: dict[str, bool] = {}  # method -> applied; every call hangs until unhang()
        self._unhung = asyncio.Event()
        # Messages posted (and updated) per channel, oldest first, for conversations.history and .replies.
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._overrides: dict[str, dict[str, Any]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self.connections_opened = 0  # every Socket Mode connection accepted, reconnects included
        self._ts_counter = 0
        self._view_counter = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Callable[[Call], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "chat.delete": self._delete,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.update": self._views_open,
            "views.push": self._views_open,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
        }

    # ---- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{token}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        # Open websockets would keep runner.cleanup() waiting for the shutdown timeout.
        for ws in list(self._sockets):
            await ws.close()
        self.unhang()  # hung requests would keep runner.cleanup() waiting too
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeSlack is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL for ``AsyncWebClient(base_url=...)``; it ends in ``/api/`` like ``https://slack.com/api/``."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/socket"

    def response_url(self, token: str) -> str:
        """A response_url on the fake; POSTs to it are recorded as method ``"response_url"`` (path has the token)."""
        return f"http://127.0.0.1:{self.port}/response/{token}"

    # ---- inspection and control ------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` has been called at least ``count`` times; returns all calls to it."""
        try:
            await self._wait(lambda: len(self.calls_to(method)) >= count, timeout)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise TimeoutError(
                f"{method} called {len(self.calls_to(method))}x, wanted {count}; calls: {seen}"
            ) from None
        return self.calls_to(method)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: float | str | None = None,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail (queued after failures already pending).

        - ``status=429``: HTTP 429 with a ``Retry-After`` header (``retry_after``, default 1) and
          ``{"ok": false, "error": "ratelimited"}`` (or ``error`` when given); a string is sent as it is (an
          HTTP-date, ``"1.5"``), and ``""`` sends no header at all;
        - otherwise with ``error`` given: HTTP 200 ``{"ok": false, "error": error}``, Slack's usual API error;
        - otherwise HTTP ``status`` (500 by default) with ``{"ok": false, "error": "fatal_error"}``.
        ``method`` may also be ``"response_url"``.
        """
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append(_Failure(status, retry_after, error))

    def hang_next(self, method: str, *, times: int = 1, applied: bool = False, after: int = 0) -> None:
        """Make the next ``times`` calls to ``method`` (past the first ``after``) never answer, until :meth:`unhang`.

        ``applied=True``: the call takes effect first (a chat.postMessage is stored and shows in the history), as
        when Slack posted the message and the answer was lost on the way back.
        """
        queue = self._hangs.setdefault(method, deque())
        queue.extend([None] * after)
        for _ in range(times):
            queue.append(_Hang(applied))

    def hang(self, method: str, *, applied: bool = False) -> None:
        """Every call to ``method`` hangs from now on, until :meth:`unhang`."""
        self._hang_all[method] = applied

    def unhang(self) -> None:
        """Slack is back: later calls answer again; calls hung so far get a 503 (their clients gave up)."""
        self._hang_all.clear()
        self._hangs.clear()
        self._unhung.set()
        self._unhung = asyncio.Event()

    def respond(self, method: str, body: dict[str, Any]) -> None:
        """Answer every later successful call to ``method`` with ``body`` instead of the built-in reply."""
        self._overrides[method] = body

    def restore(self, method: str) -> None:
        """Undo :meth:`respond`: ``method`` gets the built-in reply again."""
        self._overrides.pop(method, None)

    # ---- Socket Mode -----------------------------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode connections are open now."""
        return sum(1 for ws in self._sockets if not ws.closed)

    async def wait_socket(self, connections: int = 1, timeout: float = 5.0) -> None:
        """Wait until at least ``connections`` Socket Mode connections are open (each has had its hello)."""
        await self._wait(lambda: self.socket_connections >= connections, timeout)

    async def socket_send(self, envelope: dict[str, Any], timeout: float = 5.0) -> str:
        """Push an envelope to the newest open Socket Mode connection (waiting for one); returns its envelope_id.

        Build envelopes with :func:`envelope`; a missing ``envelope_id`` is filled in.
        """
        if "envelope_id" not in envelope:
            envelope = {**envelope, "envelope_id": str(uuid.uuid4())}
        await self.wait_socket(1, timeout)
        ws = [s for s in self._sockets if not s.closed][-1]
        await ws.send_str(json.dumps(envelope))
        return str(envelope["envelope_id"])

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack for ``envelope_id``: ``{"envelope_id": ..., "payload": ...}`` (payload optional)."""
        try:
            await self._wait(lambda: envelope_id in self.acks, timeout)
        except TimeoutError:
            raise TimeoutError(f"no ack for envelope {envelope_id}; received: {self.socket_received}") from None
        return self.acks[envelope_id]

    async def socket_drop(self) -> None:
        """Close every open Socket Mode connection from the server side, as a network failure would."""
        for ws in [s for s in self._sockets if not s.closed]:
            await ws.close()

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask connected clients to reconnect, as Slack does every few hours (type "disconnect")."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        for ws in [s for s in self._sockets if not s.closed]:
            await ws.send_str(json.dumps(message))

    # ---- internals -------------------------------------------------------------------------------------------

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _record(self, method: str, request: web.Request) -> Call:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw = await request.text()
            body = json.loads(raw) if raw.strip() else {}
            if isinstance(body, dict):
                params.update(body)
        elif request.body_exists:
            form = await request.post()
            for key, value in form.items():
                params[key] = _maybe_json(key, value) if isinstance(value, str) else value
        call = Call(method, params, dict(request.headers), time.time(), request.path)
        self.calls.append(call)
        await self._notify()
        return call

    def _take_failure(self, method: str) -> web.Response | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue.popleft()
        if failure.status == 429:
            retry_after = 1 if failure.retry_after is None else failure.retry_after
            return web.json_response(
                {"ok": False, "error": failure.error or "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)} if retry_after != "" else {},
            )
        if failure.error is not None:
            return web.json_response({"ok": False, "error": failure.error})
        return web.json_response({"ok": False, "error": "fatal_error"}, status=failure.status)

    def _take_hang(self, method: str) -> _Hang | None:
        if method in self._hang_all:
            return _Hang(self._hang_all[method])
        queue = self._hangs.get(method)
        return queue.popleft() if queue else None

    async def _hung(self) -> web.Response:
        await self._unhung.wait()
        return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._record(method, request)
        hang = self._take_hang(method)
        if hang is not None:
            if hang.applied and call.token is not None and method in self._handlers:
                self._handlers[method](call)
                await self._notify()
            return await self._hung()
        failed = self._take_failure(method)
        if failed is not None:
            return failed
        if call.token is None:
            return web.json_response({"ok": False, "error": "not_authed"})
        if method in self._overrides:
            return web.json_response(self._overrides[method])
        handler = self._handlers.get(method)
        reply = handler(call) if handler else {"ok": True}
        if method in ("chat.postMessage", "chat.update"):
            await self._notify()
        return web.json_response(reply)

    def posts_in(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """Messages stored in ``channel`` (in the thread ``thread_ts`` when given), oldest first."""
        stored = self.messages.get(channel, [])
        if thread_ts is None:
            return list(stored)
        return [m for m in stored if m.get("thread_ts") == thread_ts or m["ts"] == thread_ts]

    async def wait_posts(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate`` holds of every stored message (all channels, oldest first)."""
        await self._wait(lambda: predicate([m for ms in self.messages.values() for m in ms]), timeout)

    async def _response_url(self, request: web.Request) -> web.Response:
        await self._record("response_url", request)
        failed = self._take_failure("response_url")
        return failed if failed is not None else web.json_response({"ok": True})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        # autoping answers the SDK's "sdk-ping-pong:<time>" pings with a pong carrying the same data, which the
        # client uses to decide the connection is alive.
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections_opened += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": self.socket_connections + 1,
                    "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        self._sockets.append(ws)
        await self._notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                self.socket_received.append(data)
                if isinstance(data, dict) and "envelope_id" in data:
                    self.acks[str(data["envelope_id"])] = data
                await self._notify()
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    # ---- built-in replies ------------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        # Real time, strictly increasing, as Slack's are: a reply's ts is later than the question's.
        self._ts_counter = max(int(time.time() * 1_000_000), self._ts_counter + 100)
        return f"{self._ts_counter // 1_000_000}.{self._ts_counter % 1_000_000:06d}"

    @staticmethod
    def _message(call: Call, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": call.params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in call.params:
                message[key] = call.params[key]
        return message

    def _auth_test(self, call: Call) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-team.slack.com/",
            "team": "Fake Team",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, call: Call) -> dict[str, Any]:
        ts = self._next_ts()
        channel = str(call.params.get("channel", ""))
        # A user id as the channel posts in the app's DM with that user (its Messages tab).
        channel = "D" + channel[1:] if channel.startswith(("U", "W")) else channel
        message = self._message(call, ts)
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _history(self, call: Call) -> dict[str, Any]:
        oldest = float(call.params.get("oldest") or 0)
        found = [m for m in self.messages.get(str(call.params.get("channel")), []) if float(m["ts"]) > oldest]
        limit = int(call.params.get("limit") or 100)
        return {"ok": True, "messages": self._shown(call, list(reversed(found))[:limit]), "has_more": False}

    def _replies(self, call: Call) -> dict[str, Any]:
        ts = str(call.params.get("ts") or "")
        found = [m for m in self.messages.get(str(call.params.get("channel")), [])
                 if m.get("thread_ts") == ts or m["ts"] == ts]
        return {"ok": True, "messages": self._shown(call, found), "has_more": False}

    @staticmethod
    def _shown(call: Call, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Slack returns message metadata only when asked for it.
        if str(call.params.get("include_all_metadata")).lower() in ("true", "1"):
            return messages
        return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]

    def _delete(self, call: Call) -> dict[str, Any]:
        stored = self.messages.get(str(call.params.get("channel")), [])
        stored[:] = [m for m in stored if m["ts"] != str(call.params.get("ts"))]
        return {"ok": True, "channel": call.params.get("channel"), "ts": call.params.get("ts")}

    def _views_open(self, call: Call) -> dict[str, Any]:
        view = call.params.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        self._view_counter += 1
        return {"ok": True, "view": {"id": f"V{self._view_counter:04d}", "team_id": TEAM_ID, "app_id": APP_ID,
                                     "bot_id": BOT_ID, "state": {"values": {}}, "hash": "h1", **view}}

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        users = str(call.params.get("users", "")).split(",")[0]
        return {"ok": True, "channel": {"id": "D" + users[1:] if users else "D0"}}

    def _post_ephemeral(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, call: Call) -> dict[str, Any]:
        ts = str(call.params.get("ts", ""))
        for message in self.messages.get(str(call.params.get("channel")), []):
            if message["ts"] == ts:
                for key in ("text", "blocks", "metadata"):
                    if key in call.params:
                        message[key] = call.params[key]
                message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": call.params.get("channel"),
            "ts": ts,
            "text": call.params.get("text", ""),
            "message": self._message(call, ts),
        }

    def _views_publish(self, call: Call) -> dict[str, Any]:
        view = call.params.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        return {"ok": True, "view": {"id": "V1", "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID, **view}}

    def _conversations_info(self, call: Call) -> dict[str, Any]:
        channel = str(call.params.get("channel", ""))
        is_im = channel.startswith("D")
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": None if is_im else f"channel-{channel.lower()}",
                "is_channel": channel.startswith("C"),
                "is_group": channel.startswith("G"),
                "is_im": is_im,
                "is_private": not channel.startswith("C"),
                "is_archived": False,
                "is_member": True,
                "context_team_id": TEAM_ID,
            },
        }

    def _users_info(self, call: Call) -> dict[str, Any]:
        user = str(call.params.get("user", ""))
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": TEAM_ID,
                "name": f"user-{user.lower()}",
                "real_name": f"User {user}",
                "tz": "Europe/Brussels",
                "tz_label": "Central European Time",
                "tz_offset": 3600,
                "is_bot": user == BOT_USER_ID,
                "deleted": False,
                "profile": {"display_name": f"user-{user.lower()}", "real_name": f"User {user}"},
            },
        }

    def _connections_open(self, call: Call) -> dict[str, Any]:
        # Slack only issues Socket Mode URLs to app-level tokens.
        if not (call.token or "").startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}


def _maybe_json(key: str, value: str) -> Any:
    if key in _JSON_FIELDS and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
