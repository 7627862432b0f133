"""Text columns built element-wise with pyarrow kernels."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays and literals element-wise."""
    # Literals go in as typed scalars: converting a bare str costs failed imports each call.
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))
