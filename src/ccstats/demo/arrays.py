"""The generator's array types, and the random draws every part of a day uses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def rounded(values: F64) -> I64:
    """Whole seconds."""
    out: I64 = np.rint(values).astype(np.int64)
    return out


def pick(rng: np.random.Generator, weights: tuple[float, ...], size: int) -> I64:
    """Codes ``0..len(weights) - 1`` drawn with the given relative weights."""
    cum = np.cumsum(weights)
    drawn = np.searchsorted(cum / cum[-1], rng.random(size), side="right")
    out: I64 = np.minimum(drawn, len(weights) - 1).astype(np.int64)
    return out
