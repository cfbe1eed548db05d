"""Settings, `natobot serve` as a real process (HTTP and Socket Mode), and log redaction."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import slack_signing as sig
from fakeslack import FakeSlack
from slack_harness import APP_TOKEN, BOT_TOKEN, PROXY_VARS, SECRET

from bot.settings import Settings, SettingsError, load_settings
from bot.slack.app import RedactSecrets

ROOT = Path(__file__).resolve().parents[2]
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL", "PORT",
              "HOST", "LOG_LEVEL", "NATOBOT_COMMAND", "NATOBOT_DATA_DIR", "NATOBOT_AUTO_CHANNELS")

# The fixtures (fake, app, no_proxies) live in tests/slack_fixtures.py.


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS and k not in PROXY_VARS}
    env["NATOBOT_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(ROOT)
    env.update(values)
    return env


async def _serve(tmp_path: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


BAD = [
    # (environment, the setting the one-line error must name)
    ({}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_BOT_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "PORT": "eighty"}, "PORT"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "PORT": "70000"}, "PORT"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": "slack"}, "SLACK_API_URL"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "NATOBOT_COMMAND": "nato"}, "NATOBOT_COMMAND"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN"),
]


@pytest.mark.parametrize(("values", "name"), BAD)
async def test_missing_or_invalid_settings_exit_2_with_one_line(tmp_path: Path, values: dict[str, str],
                                                                name: str) -> None:
    proc = await _serve(tmp_path, _env(tmp_path, **values))
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and name in lines[0], lines
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in err.decode() + out.decode()


async def test_socket_mode_needs_the_app_token(tmp_path: Path) -> None:
    proc = await _serve(tmp_path, _env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN), "--mode", "socket")
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2 and "SLACK_APP_TOKEN" in err.decode()


def test_defaults_and_mode_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NATOBOT_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NATOBOT_AUTO_CHANNELS", " C0123ABCD , #ask-nato,,")
    settings = load_settings()
    assert settings.port == 3000 and settings.natobot_command == "/nato" and settings.log_level == "INFO"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database == f"sqlite:///{(tmp_path / 'state' / 'natobot.db').as_posix()}"
    assert settings.auto_channel_ids == {"C0123ABCD"} and settings.auto_channel_names == {"ask-nato"}
    assert settings.choose_mode() == "http"
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", "https://slack-gov.com/api")
    settings = load_settings()
    assert settings.choose_mode() == "socket" and settings.choose_mode("http") == "http"
    assert settings.slack_api_url == "https://slack-gov.com/api/"
    assert APP_TOKEN not in repr(settings) and APP_TOKEN not in str(settings.model_dump())
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        settings.require("socket")


def test_dotenv_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={BOT_TOKEN}\nPORT=3999\nNATOBOT_COMMAND=/natotest\n")
    settings = Settings()
    assert settings.port == 3999 and settings.natobot_command == "/natotest"
    assert settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value() == BOT_TOKEN


def test_redaction_scrubs_token_shapes_and_configured_secrets() -> None:
    redact = RedactSecrets([SECRET])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s b %s c %s", (
        "xoxb-123-456-abcDEF", "xapp-1-A1-99-zz", SECRET), None)
    redact.filter(record)
    text = record.getMessage()
    assert "abcDEF" not in text and "99-zz" not in text and SECRET not in text
    assert "xoxb-[redacted]" in text and "xapp-[redacted]" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_healthy(url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(150):
            if proc.returncode is not None:
                raise AssertionError("natobot serve exited early: " + (await proc.stderr.read()).decode()[-2000:]
                                     if proc.stderr else "")
            try:
                async with http.get(url + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("natobot serve never became healthy")


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_natobot_serve_process(fake: FakeSlack, tmp_path: Path, mode: str) -> None:
    port = _free_port()
    values = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.url, "PORT": str(port), "HOST": "127.0.0.1",
              "LOG_LEVEL": "DEBUG"}
    values.update({"SLACK_SIGNING_SECRET": SECRET} if mode == "http" else {"SLACK_APP_TOKEN": APP_TOKEN})
    proc = await _serve(tmp_path, _env(tmp_path, **values))  # the mode is chosen from SLACK_APP_TOKEN
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_healthy(url, proc)
        assert (tmp_path / "data" / "natobot.db").exists()  # the default database
        event = sig.event_callback(sig.app_mention_event("who heads the IMS?"))
        if mode == "http":
            body = sig.json_body(event)
            async with aiohttp.ClientSession() as http, http.post(
                    url + "/slack/events", data=body, headers=sig.signed_headers(body, SECRET, json_body=True)) as r:
                assert r.status == 200
        else:
            from fakeslack import envelope

            await fake.socket_send(envelope("events_api", event), timeout=10)
        await fake.wait_for("chat.postMessage", timeout=10)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in err.decode()
