"""Generated benchmark data: NDJSON files from the demo generator, cached on disk.

A file's name encodes everything it depends on (kind, agents, projects, the day
ranges, seed, zone, whether it holds queue calls) and a hash of the ``ccstats.demo``
package, so a changed generator or a changed plan regenerates instead of reusing a
stale file. A file is written under a temporary name and renamed when complete, with
a small JSON beside it holding its event count; an interrupted generation leaves
nothing that looks finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ccstats import demo

SEED = 20250106
START = dt.date(2025, 1, 6)  # a Monday
TIMEZONE = "Europe/Budapest"
PROJECTS = 20

#: One contiguous range of generated days: (first day, number of days).
DayRange = tuple[dt.date, int]


@dataclass(frozen=True)
class Dataset:
    """One cached NDJSON file."""

    path: Path
    events: int
    agents: int
    ranges: tuple[DayRange, ...]
    generated_s: float | None  # None when it came from the cache

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def days(self) -> int:
        return sum(days for _, days in self.ranges)


def _version() -> str:
    """A hash of the generator's modules."""
    digest = hashlib.sha256()
    for path in sorted(Path(demo.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def _prepare(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    ignore = workdir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# generated benchmark data\n*\n")


def dataset(
    workdir: Path,
    kind: str,
    agents: int,
    ranges: Sequence[DayRange],
    say: Callable[[str], None],
    queue_calls: bool = False,
) -> Dataset:
    """The cached file of ``ranges`` (in this order) for ``agents`` agents, generated if missing.

    With ``queue_calls`` each day also holds its ``queuecall`` events; the other events
    are those of the same file without them.
    """
    _prepare(workdir)
    spans = "_".join(f"{first:%Y%m%d}+{days}" for first, days in ranges)
    if len(spans) > 80:  # many ranges: keep the name short, still unique
        spans = f"{len(ranges)}r-" + hashlib.sha256(spans.encode()).hexdigest()[:12]
    zone = TIMEZONE.replace("/", "-")
    queues = "-q" if queue_calls else ""
    name = f"{kind}-a{agents}-p{PROJECTS}{queues}-{spans}-s{SEED}-{zone}-{_version()}"
    path, meta = workdir / f"{name}.ndjson", workdir / f"{name}.json"
    if path.exists() and meta.exists():
        events = int(json.loads(meta.read_text())["events"])
        return Dataset(path, events, agents, tuple(ranges), None)
    days = sum(n for _, n in ranges)
    say(f"generating {kind}: {agents} agents x {days} days -> {path.name}")
    began = time.perf_counter()
    partial = path.with_suffix(".ndjson.partial")
    events = 0
    with partial.open("wb") as out:
        for first, count in ranges:
            for chunk in demo.generate(
                seed=SEED,
                agents=agents,
                projects=PROJECTS,
                days=count,
                start=first,
                timezone=TIMEZONE,
                queue_calls=queue_calls,
            ):
                out.write(chunk)
                events += chunk.count(b"\n")
    partial.rename(path)
    elapsed = time.perf_counter() - began
    meta.write_text(json.dumps({"events": events, "agents": agents, "days": days}) + "\n")
    say(f"  {events:,} events, {path.stat().st_size / 1e6:,.0f} MB in {elapsed:.1f} s")
    return Dataset(path, events, agents, tuple(ranges), elapsed)


def replaced_days(days: int, share: float) -> list[DayRange]:
    """About ``share`` of the ``days`` days from START, spread evenly, as one-day ranges."""
    count = max(1, round(days * share))
    step = days / count
    return [(START + dt.timedelta(days=int(step * i + step / 2)), 1) for i in range(count)]
