"""Fixtures every test module shares.

`engine` is the real knowledge base behind the real engine, loaded once per session (as the server loads
it once at start) and the same instance the Slack harness serves. Tests that change it (the eval
report's threshold sweep) put it back before they return.
"""

from __future__ import annotations

import pytest
from slack_harness import engine as shared_engine

from bot.answering.engine import Engine

# Registered here, before any test module imports them, so pytest rewrites their asserts too:
# db_fixtures (db_url, clock, open_store, store on SQLite and PostgreSQL), slack_fixtures (fake, app).
pytest_plugins = ["db_fixtures", "slack_fixtures"]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return shared_engine()
