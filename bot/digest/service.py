"""The digest's public face: every name the Slack handlers, the command line and the scheduler use, in one place.

A short piece about the Integrated Mission Strategy, posted once per channel per period. The work is done in
bot.digest.rotation (which piece a day features, and the digest in its two forms), bot.digest.schedule (when a
channel's digest is due) and bot.digest.send (the pass over due subscriptions, posting each exactly once); this
module only re-exports them, so callers write `dg.send_due`, `dg.next_run` and the like without knowing which.
It imports aiohttp and slack_sdk (through bot.digest.send): what needs neither imports the modules themselves.
"""

from __future__ import annotations

from bot.digest.defaults import DEFAULT_TIME as DEFAULT_TIME
from bot.digest.defaults import DEFAULT_TZ as DEFAULT_TZ
from bot.digest.rotation import Digest as Digest
from bot.digest.rotation import DigestError as DigestError
from bot.digest.rotation import build_digest as build_digest
from bot.digest.rotation import digest_blocks as digest_blocks
from bot.digest.rotation import digest_text as digest_text
from bot.digest.rotation import today_digest as today_digest
from bot.digest.schedule import WEEKDAY_NAMES as WEEKDAY_NAMES
from bot.digest.schedule import Schedule as Schedule
from bot.digest.schedule import cadence_of as cadence_of
from bot.digest.schedule import describe as describe
from bot.digest.schedule import due_date as due_date
from bot.digest.schedule import format_subscriptions as format_subscriptions
from bot.digest.schedule import local_day as local_day
from bot.digest.schedule import next_run as next_run
from bot.digest.schedule import parse_time as parse_time
from bot.digest.schedule import parse_zone as parse_zone
from bot.digest.schedule import runs_on as runs_on
from bot.digest.send import CHANNEL_ERRORS as CHANNEL_ERRORS
from bot.digest.send import CONCURRENCY as CONCURRENCY
from bot.digest.send import METADATA_EVENT as METADATA_EVENT
from bot.digest.send import PAGE as PAGE
from bot.digest.send import SendReport as SendReport
from bot.digest.send import find_posted as find_posted
from bot.digest.send import post_digest as post_digest
from bot.digest.send import send_due as send_due
from bot.digest.send import slack_error as slack_error
