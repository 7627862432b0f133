"""The benchmark's console output: progress of its steps."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

#: Wide enough for the table when the output goes to a file or a pipe.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@contextmanager
def step(what: str) -> Iterator[None]:
    """Announce a step with the load average, and say how long it took."""
    began = time.perf_counter()
    console.print(f"[bold]>> {what}[/]  (load {os.getloadavg()[0]:.2f})")
    yield
    console.print(f"   done: {what} in {time.perf_counter() - began:.1f} s")


def say(text: str) -> None:
    """A line of detail within a step."""
    console.print(f"   {text}")
