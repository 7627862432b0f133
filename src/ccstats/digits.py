"""Whole numbers as clients write them: ASCII digits only.

`str.isdigit` is not a test for that: it also accepts superscripts such as
``'¹'``, which `int` refuses (a crash where a clear error was due), and the digits
of other scripts such as ``'٣'``, which `int` reads as numbers.
"""

from __future__ import annotations

#: Digits of the longest number accepted by default: any such number fits in a BIGINT.
MAX_DIGITS = 18


def parse_digits(text: str, max_digits: int = MAX_DIGITS) -> int | None:
    """The value of `text` if it is 1 to `max_digits` of the ASCII digits 0-9 and
    nothing else (no sign, space or underscore), else None."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
