"""Making check-then-act races happen on purpose, in threads or in processes.

A change that reads what is stored and then writes (is the name free? is
another admin key left? which id is next?) goes wrong when two callers both read
before either writes. `hold_first_change` produces exactly that order: every
thread waits before its first change to the store (any public method named
like a change: ``create_...``, ``revoke_...``, ``save_...``) until `wait`
returns, e.g. until every caller has done its reads and arrived there too. A
store that checks and changes in one atomic step is called by all of them at
once, which is the case it must get right.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

CHANGES = ("create_", "update_", "save_", "add_", "revoke_", "set_", "delete_")


def hold_first_change(store: object, wait: Callable[[], object]) -> None:
    """Make each thread call `wait` before its first change to `store`."""
    changed = threading.local()

    def held(real: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not getattr(changed, "done", False):
            changed.done = True
            wait()
        return real(*args, **kwargs)

    for name in dir(type(store)):
        if name.startswith(CHANGES):
            setattr(store, name, functools.partial(held, getattr(store, name)))


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Run each call in a thread of its own; their results (or what they raised), in order."""
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
