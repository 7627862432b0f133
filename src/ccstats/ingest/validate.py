"""Validation and normalization of event lines, set-based in an in-memory DuckDB.

The rules of events-and-kpis.md §1 are a table (`ccstats.ingest.rules`), from
which both passes over the lines are generated (`ccstats.ingest.passes`): a fast
pass over every line, which yields the normalized events and whether each line
is valid, and a diagnosis of the first rejected lines, which names each problem.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccstats import duckdb_connect
from ccstats.events import EventError
from ccstats.ingest.bits import flag_bits, set_before
from ccstats.ingest.passes import diagnosis_sql, fast_sql
from ccstats.ingest.reading import MACROS
from ccstats.ingest.rules import RULES, UNEXPLAINED, WRONG_FORMAT, Rule

log = logging.getLogger(__name__)

# `Validator._run` takes a statement's rows as Arrow on purpose (see there).
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning, module=__name__)


@dataclass(frozen=True, slots=True)
class ValidatedBlock:
    """The outcome of validating one block of lines."""

    events: pa.Table
    """Normalized events of the valid lines, each with its ``line_no``, in no particular order."""
    errors: list[EventError]
    """Every problem of the first `line_limit` invalid lines, in line order."""
    rejected_lines: list[int]
    """Numbers of all invalid lines, in line order."""


def _commas(raw: pa.ChunkedArray) -> pa.ChunkedArray:
    """How many commas each string of `raw` holds, counted with numpy over its bytes."""
    counts = []
    for chunk in raw.chunks:
        _, offsets_buffer, data_buffer = chunk.buffers()
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
            chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
        if not len(chunk) or data_buffer is None:
            counts.append(pa.array(np.zeros(len(chunk), dtype=np.int64)))
            continue
        low, high = int(offsets[0]), int(offsets[-1])
        commas = flag_bits(np.frombuffer(data_buffer, dtype=np.uint8)[low:high], ord(","))
        before = set_before(commas, offsets - low)
        counts.append(pa.Array.from_buffers(pa.int64(), len(chunk), [
            None, pa.py_buffer(np.ascontiguousarray(before[1:] - before[:-1]))]))
    return pa.chunked_array(counts, type=pa.int64())


class Validator:
    """Validates blocks of event lines (see `ccstats.ingest.lines`). Not thread-safe."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self._db = duckdb_connect.connect()
        self._db.execute(MACROS)
        self._fast = fast_sql(rules, tolerant=False)
        self._fast_tolerant = fast_sql(rules, tolerant=True)
        self._diagnosis = diagnosis_sql(rules)

    def close(self) -> None:
        self._db.close()

    def validate(self, lines: pa.Table, line_limit: int = 100) -> ValidatedBlock:
        """Check every line of `lines` (see `ccstats.ingest.lines.LINES_SCHEMA`)."""
        counted = lines.append_column("commas", _commas(lines.column("raw")))
        try:
            checked = self._run(self._fast, counted)
        # (a line is not JSON; DuckDB's message quotes it, at times cut inside a
        # character, which the message's decoding then fails on)
        except (duckdb.InvalidInputException, UnicodeDecodeError):
            checked = self._run(self._fast_tolerant, counted)
        ok = checked.column("ok")
        if pc.all(ok).as_py() is not False:
            events = checked.drop_columns(["ok"])
            return ValidatedBlock(events, [], [])
        events = checked.filter(ok).drop_columns(["ok"])
        # (the statement's rows come in no particular order: a block's row groups
        # may be scanned by several threads)
        rejected = checked.filter(pc.invert(ok)).sort_by("line_no").column("line_no")
        shown = rejected.slice(0, line_limit)
        bad_lines = lines.filter(pc.is_in(lines.column("line_no"), shown))
        errors: list[EventError] = []
        for line, problems in self._diagnosed(bad_lines):
            if not problems:
                # (the rules make this impossible; should it happen all the same, the
                # client learns which line is wrong, and the log that a rule is)
                log.error("line %d: rejected by the fast pass, but the diagnosis finds "
                          "no problem in it", line)
                errors.append(EventError(line, None, WRONG_FORMAT, UNEXPLAINED))
            errors.extend(problems)
        return ValidatedBlock(events, errors, rejected.to_pylist())

    def diagnose(self, lines: pa.Table) -> list[EventError]:
        """Every problem of every line of `lines` (the slow, thorough pass)."""
        return [problem for _, problems in self._diagnosed(lines) for problem in problems]

    def _diagnosed(self, lines: pa.Table) -> list[tuple[int, list[EventError]]]:
        """Each line of `lines` with its problems, in line order."""
        diagnosed = self._run(self._diagnosis, lines)
        return [
            (line, [EventError(line, p["member"], p["code"], p["message"]) for p in problems])
            for line, problems in zip(diagnosed.column("line_no").to_pylist(),
                                      diagnosed.column("problems").to_pylist(), strict=True)
        ]

    def _run(self, sql: str, lines: pa.Table) -> pa.Table:
        self._db.register("lines", lines)
        try:
            # One statement, planned once (a relation would be bound, then planned
            # again: a fifth of the time of a 10,000-line block); the copy of the
            # rows that DuckDB warns of costs less.
            return self._db.execute(sql).to_arrow_table()
        finally:
            self._db.unregister("lines")
