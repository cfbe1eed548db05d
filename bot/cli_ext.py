"""Sub-commands that reach beyond the terminal: `run` and `serve`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP; `--mode` overrides."""
    from bot.server import cmd_serve as serve

    return serve(getattr(args, "mode", None))


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Slack app when Slack tokens are configured, else the terminal shell."""
    env = os.environ
    if env.get("SLACK_BOT_TOKEN") and (env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET")):
        from bot.cli import build_parser

        serve_args = build_parser().parse_args(["serve"])
        return int(serve_args.func(serve_args, out))
    from bot.cli import cmd_shell

    sys.stderr.write("natobot: no Slack tokens configured (SLACK_BOT_TOKEN), starting the terminal shell\n")
    return cmd_shell(args, out)


def add_commands(sub: Any) -> None:
    run = sub.add_parser("run", help="the Slack app if tokens are configured, else the shell")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--mode", choices=("http", "socket"), default=None,
                       help="override the choice made from SLACK_APP_TOKEN")
    serve.set_defaults(func=cmd_serve)
