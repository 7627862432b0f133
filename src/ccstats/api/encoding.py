"""Request bodies sent with ``Content-Encoding``: gzip is inflated, within the body limit.

The limit on a body (``--max-body-bytes``) holds for the sent bytes and again
for the inflated ones; inflating stops as soon as it is passed, so that a small
compressed body that would inflate to gigabytes (a "zip bomb") costs at most
the limit in memory. Any other coding is answered with 415.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from ccstats.api.envelope import ApiProblem, invalid, too_large
from ccstats.errors import ApiError, wrong_format

#: zlib's window size for a gzip header and trailer around the deflate stream.
_GZIP_WINDOW = 16 + zlib.MAX_WBITS


class BodyDecoder(Protocol):
    def feed(self, data: bytes) -> bytes:
        """The decoded bytes of the next piece of the body (raises a problem)."""

    def finish(self) -> None:
        """Raise a problem if the body ended before its coding did."""


class Identity:
    """A body sent as is."""

    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> None:
        pass


class Gunzip:
    """A gzip body (one member or several), inflated to at most `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._inflater = zlib.decompressobj(_GZIP_WINDOW)

    def feed(self, data: bytes) -> bytes:
        pieces: list[bytes] = []
        while data:
            if self._inflater.eof:  # the next member
                self._inflater = zlib.decompressobj(_GZIP_WINDOW)
            try:
                piece = self._inflater.decompress(data, self._limit - self._size + 1)
            except zlib.error:
                raise _not_gzip() from None
            self._size += len(piece)
            if self._size > self._limit:
                raise too_large(self._limit)
            pieces.append(piece)
            data = self._inflater.unused_data if self._inflater.eof else \
                self._inflater.unconsumed_tail
        return b"".join(pieces)

    def finish(self) -> None:
        if not self._inflater.eof:
            raise _not_gzip()


def decoder(content_encoding: str | None, limit: int) -> BodyDecoder:
    """The decoder of a body sent with this ``Content-Encoding``, or a 415 problem."""
    codings = [coding.strip().lower() for coding in (content_encoding or "").split(",")]
    codings = [coding for coding in codings if coding and coding != "identity"]
    if not codings:
        return Identity()
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
        return Gunzip(limit)
    raise ApiProblem(415, [ApiError(
        "error.unsupported_encoding",
        f"Content-Encoding {(content_encoding or '')[:40]!r} is not supported; send the body "
        "as it is or compressed with gzip", "Content-Encoding")])


def _not_gzip() -> ApiProblem:
    return invalid([wrong_format("body", "the body is not complete gzip data, as its "
                                         "Content-Encoding says")])
