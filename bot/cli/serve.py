"""Sub-commands that reach beyond the terminal: `run` and `serve`."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

EXIT_CONFIG = 2


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP; `--mode` overrides."""
    from bot.slack.server import cmd_serve as serve

    return serve(getattr(args, "mode", None))


def slack_config_problem(bot: bool, app: bool, secret: bool) -> str | None:
    """Why a partial Slack configuration cannot start the app, or None when it is whole (or empty)."""
    if not (bot or app or secret):
        return None
    if not bot:
        given = " and ".join(n for n, v in (("SLACK_APP_TOKEN", app), ("SLACK_SIGNING_SECRET", secret)) if v)
        return f"{given} is set but SLACK_BOT_TOKEN is not: set it too (xoxb-...)"
    if not (app or secret):
        return ("SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN (Socket Mode) "
                "is: set one, or unset SLACK_BOT_TOKEN for the terminal shell")
    return None


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Slack app when Slack is configured, the terminal shell when nothing of it is; refuse a half."""
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"natobot: {exc}\n")
        return EXIT_CONFIG
    present = [bool(v is not None and v.get_secret_value().strip())
               for v in (settings.slack_bot_token, settings.slack_app_token, settings.slack_signing_secret)]
    problem = slack_config_problem(*present)
    if problem is not None:
        sys.stderr.write(f"natobot: {problem}\n")
        return EXIT_CONFIG
    if present[0]:
        return cmd_serve(args, out)  # `run` takes no --mode: serve chooses from SLACK_APP_TOKEN
    from bot.cli.ask import cmd_shell

    sys.stderr.write("natobot: no Slack tokens configured (SLACK_BOT_TOKEN), starting the terminal shell\n")
    return cmd_shell(args, out)


def add_commands(sub: Any) -> None:
    run = sub.add_parser("run", help="the Slack app if tokens are configured, else the shell")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--mode", choices=("http", "socket"), default=None,
                       help="override the choice made from SLACK_APP_TOKEN")
    serve.set_defaults(func=cmd_serve)
