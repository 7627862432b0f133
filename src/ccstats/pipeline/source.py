"""What a store does for the statistics pipeline: run its statements.

A store knows its dialect, which of its sums rows are visible, and how to fetch a
statement's rows; the pipeline writes the statements and renders their rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pyarrow as pa

from ccstats.model import Queue, User
from ccstats.pipeline.dialect import Dialect
from ccstats.pipeline.sql import Statement


class CellSource(Protocol):
    """Runs the pipeline's statements on one store."""

    @property
    def dialect(self) -> Dialect: ...

    def visible_sums(self, customer_id: int) -> str | None:
        """A further condition on the sums rows that count (None: every row counts)."""
        ...

    def scalar(self, sql: str) -> int:
        """The single integer `sql` yields."""
        ...

    def cells(self, statement: Statement, rows_bound: int) -> Iterator[pa.RecordBatch]:
        """The rows of `statement`, in order, in batches named by its columns.

        `rows_bound` is the most rows it can yield, for the store to choose how to
        fetch them.
        """
        ...

    def users(self, customer_id: int) -> list[User]:
        """The customer's users (the ``user`` dimension's values when no filter names them)."""
        ...

    def queues(self, customer_id: int) -> list[Queue]:
        """The customer's queues (the ``queue`` dimension's values when no filter names them)."""
        ...
