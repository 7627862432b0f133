"""Cutting a large statistics query into parts that are answered one after another.

A database sorts a query's whole result before the first row comes out, so a
year of hourly records would sit in memory at once. Instead, a query whose
answer may be large is split on its *first* dimension (the leading sort key)
into consecutive ranges: days for ``date``, slot ranges for ``time``, groups of
ids for ``project``, ``user`` and ``queue``; when the leading dimension has too few values,
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


#: The query member filtering each id dimension (None there: every id of the customer).
ID_MEMBERS = {"project": "projects", "user": "users", "queue": "queues"}

#: The customer's ids of an id dimension (``user`` or ``queue``).
AllIds = Callable[[str], Sequence[int]]


def cardinality(query: StatsQuery, dimension: str, id_count: int) -> int:
    """How many values `dimension` may take in `query`'s answer (at most); `id_count` is
    the number of ids of an id dimension that `query` does not filter."""
    if dimension == "date":
        return query.local.last_day - query.local.first_day + 1
    if dimension == "time":
        first, last = query.minutes
        return (last - first) // query.interval + 1
    chosen = getattr(query, ID_MEMBERS[dimension])
    return max(len(chosen) if chosen is not None else id_count, 1)


def records_bound(query: StatsQuery, all_ids: AllIds) -> int:
    """The most records `query` can have: the product of its dimensions' cardinalities.

    `all_ids` lists the customer's ids of a dimension; it is asked only for an id
    dimension of the query that the query does not filter.
    """
    return _bound(query, _ids(query, all_ids))


Ids = dict[str, Sequence[int]]


def _ids(query: StatsQuery, all_ids: AllIds) -> Ids:
    """The ids each id dimension of `query` answers for."""
    found: Ids = {}
    for dimension in query.dimensions:
        member = ID_MEMBERS.get(dimension)
        if member is not None:
            chosen = getattr(query, member)
            found[dimension] = chosen if chosen is not None else all_ids(dimension)
    return found


def _bound(query: StatsQuery, ids: Ids) -> int:
    return math.prod(cardinality(query, d, len(ids.get(d, ()))) for d in query.dimensions)


def split(query: StatsQuery, all_ids: AllIds,
          estimate: Callable[[StatsQuery], int] | None = None,
          records_per_part: int | None = None) -> list[StatsQuery]:
    """`query` as consecutive parts whose answers, concatenated, are its answer.

    `all_ids` lists the customer's ids of a dimension (asked only when needed);
    parts aim at `records_per_part` records (default `RECORDS_PER_PART`). The
    number of records is taken as the product of the dimensions' cardinalities,
    which is far too high when agents work on few of the projects; when that
    product calls for parts, `estimate` (if given) is asked for a figure from the
    stored data.
    """
    records_per_part = records_per_part or RECORDS_PER_PART
    ids = _ids(query, all_ids)
    records = _bound(query, ids)
    if records > min(records_per_part, FIRST_PART_RECORDS) and estimate is not None:
        records = min(records, estimate(query))
    count = math.ceil(records / records_per_part)
    parts = _split(query, query.dimensions, count, ids)
    first_records = records / len(parts)
    if first_records > FIRST_PART_RECORDS:
        first = _split(parts[0], query.dimensions,
                       math.ceil(first_records / FIRST_PART_RECORDS), ids)
        parts = first + parts[1:]
    return parts


def _split(query: StatsQuery, dimensions: Sequence[str], parts: int,
           ids: Ids) -> list[StatsQuery]:
    """Cut on the leading dimension; when it has fewer values than `parts`, take one
    value per part and cut each further on the next dimension (which keeps order)."""
    if parts <= 1 or not dimensions:
        return [query]
    leading = dimensions[0]
    span = cardinality(query, leading, len(ids.get(leading, ())))
    if parts <= span:
        return _groups(query, leading, math.ceil(span / parts), ids)
    deeper = math.ceil(parts / span)
    return [
        part
        for single in _groups(query, leading, 1, ids)
        for part in _split(single, dimensions[1:], deeper, ids)
    ]


def _groups(query: StatsQuery, dimension: str, size: int, ids: Ids) -> list[StatsQuery]:
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
    narrowed = getattr(query, ID_MEMBERS[dimension])  # a part of a part is narrowed already
    chosen = sorted(narrowed if narrowed is not None else ids[dimension])
    return [_narrowed(query, dimension, tuple(chosen[i:i + size]))
            for i in range(0, len(chosen), size)]


def _narrowed(query: StatsQuery, dimension: str, ids: tuple[int, ...]) -> StatsQuery:
    """`query` keeping only `ids` of the id dimension `dimension`."""
    if dimension == "project":
        return dataclasses.replace(query, projects=ids)
    if dimension == "user":
        return dataclasses.replace(query, users=ids)
    return dataclasses.replace(query, queues=ids)
