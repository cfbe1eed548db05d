"""Sub-commands that reach beyond the terminal: `run`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Slack app when Slack tokens are configured, else the terminal shell."""
    if os.environ.get("SLACK_BOT_TOKEN") and (os.environ.get("SLACK_APP_TOKEN") or os.environ.get("SLACK_SIGNING_SECRET")):
        from bot.cli import build_parser

        serve_args = build_parser().parse_args(["serve"])
        return int(serve_args.func(serve_args, out))
    from bot.cli import cmd_shell

    sys.stderr.write("natobot: no Slack tokens configured (SLACK_BOT_TOKEN), starting the terminal shell\n")
    return cmd_shell(args, out)


def add_commands(sub: Any) -> None:
    run = sub.add_parser("run", help="the Slack app if tokens are configured, else the shell")
    run.set_defaults(func=cmd_run)
