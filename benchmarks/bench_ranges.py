"""The date ranges and parameters of the benchmark's queries."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bench_data import START
from bench_plan import Plan

DateRange = tuple[dt.date, dt.date]


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def ymd(date: dt.date) -> str:
    return date.strftime("%Y%m%d")


def month_ranges(count: int, days: int, rng: random.Random) -> list[DateRange]:
    """``count`` distinct ranges of 28-31 days inside the first ``days`` days, around February."""
    choices = [
        (first, length)
        for length in (28, 29, 30, 31)
        for first in range(14, 45)
        if first + length <= days
    ]
    picked = rng.sample(choices, min(count, len(choices)))
    picked += [rng.choice(choices) for _ in range(count - len(picked))]
    return [(day(first), day(first + length - 1)) for first, length in picked]


def long_ranges(count: int, days: int, rng: random.Random) -> list[DateRange]:
    """``count`` ranges of ``days - 6`` .. ``days`` days inside the data (the first is all)."""
    choices = [(0, days)] + [
        (first, length)
        for length in range(days - 6, days + 1)
        for first in range(days - length + 1)
        if (first, length) != (0, days)
    ]
    picked = [choices[0], *rng.sample(choices[1:], min(count - 1, len(choices) - 1))]
    picked += [rng.choice(choices) for _ in range(count - len(picked))]
    return [(day(first), day(first + length - 1)) for first, length in picked]


@dataclass(frozen=True)
class QueryRanges:
    """The ranges of 4a (months), 4b (spans) and 4d (downloads), drawn in this order."""

    months: list[DateRange]
    spans: list[DateRange]
    downloads: list[DateRange]

    @classmethod
    def draw(cls, plan: Plan, rng: random.Random) -> QueryRanges:
        months = month_ranges(plan.month_runs, plan.days, rng)
        spans = long_ranges(plan.range_runs, plan.days, rng)
        return cls(months, spans, month_ranges(plan.download_runs, plan.days, rng))


def params(first: dt.date, last: dt.date, dimensions: str, **extra: str) -> dict[str, str]:
    return {"from": ymd(first), "to": ymd(last), "dimensions": dimensions, **extra}


def range_arg(first: dt.date, last: dt.date) -> str:
    return f"{ymd(first)}:{ymd(last)}"
