"""KPI numerators, denominators and value texts of whole batches of records, in numpy.

`Ratios` turns the cells of a KPI query (its base fields' ``cnt`` and ``secs``)
into each record's numerator and denominator of every requested KPI: the cells
are spread into a (records, base fields) matrix (0 where a field is absent from a
record) and multiplied by the KPIs' coefficient matrices. `value_texts` writes
``numerator / denominator`` rounded to 4 decimal places, half away from zero, as
the shortest text that reads back as the same double (what ``json.dumps`` writes
for that rounded value), by integer long division: no float division is made,
so no value is off by a double's rounding.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ccstats.field import Field
from ccstats.kpis import KpiFormula, Linear, Measure

Integers = npt.NDArray[np.int64]

#: The largest numerator or denominator: the long division multiplies a remainder
#: (less than the denominator) by 10 and must stay within int64.
LIMIT = (2**63 - 1) // 10
#: Decimal places of a value.
PLACES = 4
_SCALE = 10**PLACES
#: Integer parts below this have at most 15 significant digits with the fraction:
#: such a decimal is the shortest text of its nearest double, and has no exponent.
_PLAIN = 10 ** (15 - PLACES)


class Ratios:
    """Numerators and denominators of `kpis` (in order) over the base fields `base`."""

    def __init__(self, kpis: Sequence[KpiFormula], base: Sequence[Field]) -> None:
        index = {found.name: position for position, found in enumerate(base)}
        if len(index) != len(base):
            raise ValueError("a base field is named twice")
        shape = (len(base), len(kpis))
        self.numerator = [_coefficients([k.numerator for k in kpis], index, shape, measure)
                          for measure in Measure]
        self.denominator = [_coefficients([k.denominator for k in kpis], index, shape,
                                          measure) for measure in Measure]
        weight = max(int(np.abs(np.stack(side)).sum(axis=(0, 1)).max())
                     for side in (self.numerator, self.denominator))
        self.peak = LIMIT // max(weight, 1)
        """The largest cell value whose sums stay within `LIMIT`."""

    def of(self, record_of_cell: Integers, cells: pa.RecordBatch, records: int
           ) -> tuple[Integers, Integers]:
        """(numerators, denominators), each of shape (records, KPIs), of the records of `cells`.

        `record_of_cell` is the record (0 to `records` - 1) of each cell. Raises
        ValueError for a value out of 0 to `peak` or a negative result: a field's
        count and sum are sums of non-negative contributions, and every KPI's
        numerator and denominator are non-negative when its fields are consistent.
        """
        position = cells.column("position").to_numpy()
        measures = []
        for name in ("cnt", "secs"):
            values = cells.column(name).to_numpy().astype(np.int64, copy=False)
            if len(values) and (values.min() < 0 or values.max() > self.peak):
                raise ValueError(f"a {name} outside 0 to {self.peak} cannot make a KPI")
            spread = np.zeros((records, self.numerator[0].shape[0]), dtype=np.int64)
            spread[record_of_cell, position] = values
            measures.append(spread)
        counts, sums = measures
        numerators = counts @ self.numerator[0] + sums @ self.numerator[1]
        denominators = counts @ self.denominator[0] + sums @ self.denominator[1]
        if len(numerators) and min(numerators.min(), denominators.min()) < 0:
            raise ValueError("a KPI's numerator or denominator is negative: "
                             "its fields are inconsistent")
        return numerators, denominators


def _coefficients(sides: list[Linear], index: dict[str, int], shape: tuple[int, int],
                  measure: Measure) -> Integers:
    """Shape (base fields, KPIs): the coefficient of each field's `measure` in each side."""
    matrix = np.zeros(shape, dtype=np.int64)
    for column, terms in enumerate(sides):
        for term in terms:
            if term.measure is measure:
                matrix[index[term.field], column] += term.coefficient
    return matrix


def value_texts(numerators: Integers, denominators: Integers, absent: str) -> pa.Array:
    """``numerator / denominator`` rounded to `PLACES` decimals, half away from zero, as
    ``json.dumps`` writes that value (``0.8125``, ``1.0``, ``12.5``); `absent` where the
    denominator is 0. Both are non-negative and at most `LIMIT`."""
    divisors = np.where(denominators > 0, denominators, 1)
    whole, rest = np.divmod(numerators, divisors)
    fraction = np.zeros_like(whole)
    for _ in range(PLACES):
        digit, rest = np.divmod(rest * 10, divisors)
        fraction = fraction * 10 + digit
    fraction += rest >= divisors - rest  # the remainder is at least half the divisor
    carry = fraction == _SCALE
    whole += carry
    fraction[carry] = 0
    texts = pc.binary_join_element_wise(pa.array(whole).cast(pa.string()),
                                        pc.take(_fraction_texts(), pa.array(fraction)), "")
    large = whole >= _PLAIN
    if large.any():
        exact = [_text_of_scaled(w, f) for w, f in
                 zip(whole[large].tolist(), fraction[large].tolist(), strict=True)]
        texts = pc.replace_with_mask(texts, pa.array(large), pa.array(exact, pa.string()))
    return pc.if_else(pa.array(denominators > 0), texts, absent)


def _text_of_scaled(whole: int, fraction: int) -> str:
    """The ``json.dumps`` text of the double nearest to ``whole.fraction``."""
    return repr(float(f"{whole}.{fraction:0{PLACES}d}"))


@functools.cache
def _fraction_texts() -> pa.Array:
    """``.0``, ``.0001`` ... ``.9999``: the text of each fraction after the integer part,
    trailing zeros dropped but one digit kept."""
    return pa.array(["." + (f"{fraction:0{PLACES}d}".rstrip("0") or "0")
                     for fraction in range(_SCALE)])
