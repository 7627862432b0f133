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
