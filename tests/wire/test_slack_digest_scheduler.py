"""`natobot serve` runs the digest's send-due pass on a schedule: two replicas post a due digest once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from fakeslack import FakeSlack
from slack_harness import running


async def test_two_serving_replicas_post_a_due_digest_exactly_once(tmp_path: Path) -> None:
    async with FakeSlack() as fake, running(fake, tmp_path, digest_every=0.05) as one, \
            running(fake, tmp_path, digest_every=0.05):
        # Due now, whatever the time of day: a subscription for 00:00 in UTC.
        await one.deps.store.subscribe(channel="C42", team="T1", time="00:00", tz="UTC", weekdays=False)
        await fake.wait_for("chat.postMessage")
        await asyncio.sleep(0.5)  # ten more passes of each replica
        posts = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "C42"]
        assert len(posts) == 1
        sub = await one.deps.store.subscription("C42")
        assert sub is not None and sub.last_sent_date == datetime.now(UTC).date()
