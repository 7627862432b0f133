"""What the statistics pipeline needs of a field, whichever catalog declares it.

The userbased catalog (`ccstats.catalog.Kpi`) and the inbound fields
(`ccstats.inbound.InboundField`) both satisfy `Field`: the planner reads the id,
the renderer the name and whether a count and a sum are shown, the ``fields``
resources the published object.
"""

from __future__ import annotations

from typing import Protocol


class Field(Protocol):
    """One field of a statistics answer: a ``count`` and a ``sum``, either always null."""

    @property
    def field_id(self) -> int:
        """Stable id, as the stores keep it (unique across catalogs)."""
        ...

    @property
    def name(self) -> str: ...

    @property
    def has_count(self) -> bool:
        """Whether its ``count`` is shown (else always null)."""
        ...

    @property
    def has_sum(self) -> bool:
        """Whether its ``sum`` is shown (else always null)."""
        ...

    def public(self) -> dict[str, str | None]:
        """The object published by the resource's ``fields`` listing."""
        ...


class Described:
    """What a field shows, from its meanings: mixed into the field dataclasses.

    A subclass has ``name``, ``description``, ``count_meaning``, ``sum_meaning``
    (None where the count or sum is always null) and ``unit``.
    """

    __slots__ = ()
    name: str
    description: str
    count_meaning: str | None
    sum_meaning: str | None
    unit: str | None

    @property
    def has_count(self) -> bool:
        return self.count_meaning is not None

    @property
    def has_sum(self) -> bool:
        return self.sum_meaning is not None

    def public(self) -> dict[str, str | None]:
        """The object published by the resource's ``fields`` listing."""
        return {
            "field": self.name,
            "description": self.description,
            "count": self.count_meaning,
            "sum": self.sum_meaning,
            "unit": self.unit,
        }
