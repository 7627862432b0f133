"""Cutting a large statistics query into parts that are answered one after another.

A database sorts a query's whole result before the first row comes out, so a
year of hourly records would sit in memory at once. Instead, a query whose
answer may be large is split on its *first* dimension (the leading sort key)
into consecutive ranges: days for ``date``, slot ranges for ``time``, groups of
ids for ``project`` and ``user``; when the leading dimension has too few values,
each of its values is cut further on the next dimension. The parts are disjoint
and in order, so their answers concatenated are exactly the answer of the whole
query, while the database holds one part at a time.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from ccstats import buckets
from ccstats.query import StatsQuery

#: A part aims at no more than this many records (an upper estimate).
RECORDS_PER_PART = 400_000
#: The first part aims at fewer, so that the answer starts soon.
FIRST_PART_RECORDS = 40_000
MINUTES_PER_DAY = 1440


def cardinality(query: StatsQuery, dimension: str, user_count: int) -> int:
    """How many values `dimension` may take in `query`'s answer (at most)."""
    if dimension == "date":
        return query.local.last_day - query.local.first_day + 1
    if dimension == "time":
        first, last = query.minutes
        return (last - first) // query.interval + 1
    if dimension == "project":
        return max(len(query.projects), 1)
    return max(len(query.users) if query.users is not None else user_count, 1)


def records_bound(query: StatsQuery, user_ids: Callable[[], Sequence[int]]) -> int:
    """The most records `query` can have: the product of its dimensions' cardinalities.

    `user_ids` lists the customer's users; it is asked only when the query has the
    ``user`` dimension and no user filter.
    """
    return _bound(query, _users(query, user_ids))


def _users(query: StatsQuery, user_ids: Callable[[], Sequence[int]]) -> Sequence[int] | None:
    """The users `query` answers for, when it names them or has the ``user`` dimension."""
    if query.users is None and "user" in query.dimensions:
        return user_ids()
    return query.users


def _bound(query: StatsQuery, users: Sequence[int] | None) -> int:
    user_count = len(users) if users is not None else 1
    return math.prod(cardinality(query, d, user_count) for d in query.dimensions)


def split(query: StatsQuery, user_ids: Callable[[], Sequence[int]],
          estimate: Callable[[StatsQuery], int] | None = None,
          records_per_part: int | None = None) -> list[StatsQuery]:
    """`query` as consecutive parts whose answers, concatenated, are its answer.

    `user_ids` lists the customer's users (asked only when needed); parts aim at
    `records_per_part` records (default `RECORDS_PER_PART`). The number of records
    is taken as the product of the dimensions' cardinalities, which is far too
    high when agents work on few of the projects; when that product calls for
    parts, `estimate` (if given) is asked for a figure from the stored data.
    """
    records_per_part = records_per_part or RECORDS_PER_PART
    users = _users(query, user_ids)
    records = _bound(query, users)
    if records > min(records_per_part, FIRST_PART_RECORDS) and estimate is not None:
        records = min(records, estimate(query))
    count = math.ceil(records / records_per_part)
    parts = _split(query, query.dimensions, count, users)
    first_records = records / len(parts)
    if first_records > FIRST_PART_RECORDS:
        first = _split(parts[0], query.dimensions,
                       math.ceil(first_records / FIRST_PART_RECORDS), users)
        parts = first + parts[1:]
    return parts


def _split(query: StatsQuery, dimensions: Sequence[str], parts: int,
           users: Sequence[int] | None) -> list[StatsQuery]:
    """Cut on the leading dimension; when it has fewer values than `parts`, take one
    value per part and cut each further on the next dimension (which keeps order)."""
    if parts <= 1 or not dimensions:
        return [query]
    leading = dimensions[0]
    span = cardinality(query, leading, len(users) if users is not None else 1)
    if parts <= span:
        return _groups(query, leading, math.ceil(span / parts), users)
    deeper = math.ceil(parts / span)
    return [
        part
        for single in _groups(query, leading, 1, users)
        for part in _split(single, dimensions[1:], deeper, users)
    ]


def _groups(query: StatsQuery, dimension: str, size: int,
            users: Sequence[int] | None) -> list[StatsQuery]:
    """`query` narrowed to consecutive groups of `size` values of `dimension`."""
    if dimension == "date":
        local = query.local
        return [
            dataclasses.replace(query, local=buckets.local_range(
                local.zone, buckets.day_of(first),
                buckets.day_of(min(first + size - 1, local.last_day))))
            for first in range(local.first_day, local.last_day + 1, size)
        ]
    if dimension == "time":
        low, high = query.minutes
        step = size * query.interval
        return [
            dataclasses.replace(query, minutes=(start, min(start + step - query.interval, high)))
            for start in range(low, high + 1, step)
        ]
    if dimension == "project":
        ids = sorted(query.projects)
        return [dataclasses.replace(query, projects=tuple(ids[i:i + size]))
                for i in range(0, len(ids), size)]
    ids = sorted(query.users if query.users is not None else (users or ()))
    return [dataclasses.replace(query, users=tuple(ids[i:i + size]))
            for i in range(0, len(ids), size)]
