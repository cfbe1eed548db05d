"""pytest fixtures for the Slack app tests (loaded with `pytest_plugins = ["slack_fixtures"]`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakeslack import FakeSlack
from slack_harness import PROXY_VARS, App, running
from slack_sdk.web.async_client import AsyncWebClient


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


# The token the `client` fixture sends, for tests that check what reached the fake Web API.
TOKEN = "xoxb-test-token"


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    """A slack_sdk client pointed at the fake Web API."""
    return AsyncWebClient(token=TOKEN, base_url=fake.url)


@pytest.fixture
async def app(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[App]:
    async with running(fake, tmp_path) as started:
        yield started
