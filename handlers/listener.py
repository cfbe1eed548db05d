"""The one wrapper every Slack listener goes through: the plumbing each of them used to repeat.

Bolt runs a listener as a task it keeps no handle on. The wrapper counts that task in flight, so shutdown
waits for it (`Deps.track`); acks at once when asked, before anything that can wait (Slack wants the ack
within 3 s, and it must never queue behind a busy answering slot); holds an answering slot with the
request's Bolt context (`Deps.answering`: the bound on concurrent answers, and the durable job when the work
queue accepted the request); and logs how long the listener took and how much of it was waiting for a slot.

Bolt passes a listener only the arguments it names, reading the names through `inspect.unwrap`, so the
wrapper keeps the listener's own signature reachable (`functools.wraps` sets `__wrapped__`) and a listener
whose ack or slot the wrapper handles still names `ack` or `context`, even when only the wrapper uses them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

from bot.slack.deps import Deps

log = logging.getLogger("natobot.handlers.listener")

Listener = TypeVar("Listener", bound=Callable[..., Coroutine[Any, Any, None]])


def listener(deps: Deps, *, ack: bool = False, answering: bool = False) -> Callable[[Listener], Listener]:
    """Decorate a Bolt listener (below Bolt's own decorator): track it; with `ack`, ack first with no
    payload; with `answering`, run it holding an answering slot for its `context`."""

    def decorate(fn: Listener) -> Listener:
        # The same reading of the names as Bolt's (slack_bolt.util.utils.get_arg_names_of_callable).
        names = inspect.getfullargspec(inspect.unwrap(fn)).args
        for name, needed in (("ack", ack), ("context", answering)):
            if needed and name not in names:
                raise TypeError(f"listener {fn.__name__} must name `{name}` for Bolt to pass it")

        @functools.wraps(fn)
        async def run(**kwargs: Any) -> None:  # Bolt passes every argument by name
            deps.track()
            began = time.perf_counter()
            waited = 0.0
            try:
                if ack:
                    await kwargs["ack"]()
                if not answering:
                    await fn(**kwargs)
                    return
                async with deps.answering(kwargs["context"]):
                    waited = time.perf_counter() - began
                    await fn(**kwargs)
            finally:
                log.debug("%s took %.1f ms (%.1f ms before a slot)", fn.__name__,
                          (time.perf_counter() - began) * 1000, waited * 1000)

        return cast(Listener, run)

    return decorate
