"""`ccstats import --server`: the files sent in parts to the operator's import routes
(`ccstats.api.operator_imports`) and committed as one batch.

The files' bytes follow one another in parts of at most `PART_BYTES` (less if the
server takes less: its answer to the opening says how much). Once every part is
in, the commit imports them and answers the report. If anything goes wrong on the
way (a refusal, a lost connection, Ctrl-C) the upload is abandoned, so that the
server stores nothing and removes what it received.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote

from ccstats.errors import InvalidRequest, wrong_format
from ccstats.import_reports import ndjson_report, queue_log_summary
from ccstats.importers.queue_log.summary import QueueLogSummary
from ccstats.service import ImportReport

#: Bytes of one part: well below the server's default --max-body-bytes.
PART_BYTES = 8 * 1024 * 1024


class Call(Protocol):
    """One request to an operator route: its ``response``, or the refusal raised
    (`ccstats.operator_client.OperatorClient._call`)."""

    def __call__(self, method: str, path: str, **options: Any) -> Any: ...


def import_files(call: Call, customer: str, paths: Sequence[Path], skip_invalid: bool,
                 progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import NDJSON files through the server, as `Service.import_files` does."""
    return ndjson_report(_upload(call, customer, paths, {"format": "ndjson",
                                                         "skipInvalid": skip_invalid},
                                 progress))


def import_logs(call: Call, customer: str, paths: Sequence[Path],
                progress: Callable[[int], None] | None = None) -> QueueLogSummary:
    """Import queue_log files through the server, as
    `ccstats.importers.queue_log.importer.import_logs` does."""
    return queue_log_summary(_upload(call, customer, paths, {"format": "queue_log"},
                                     progress))


def _upload(call: Call, customer: str, paths: Sequence[Path], options: dict[str, Any],
            progress: Callable[[int], None] | None) -> Any:
    """Open an upload, send `paths` in parts, commit: the commit's answer."""
    sizes = [path.stat().st_size for path in paths]
    files = [{"name": str(path), "bytes": size} for path, size in zip(paths, sizes, strict=True)]
    imports = f"/customers/{quote(customer, safe='')}/imports"
    opened = call("POST", imports, json={**options, "files": files})
    upload = f"{imports}/{opened['upload']}"
    try:
        part_bytes = min(PART_BYTES, int(opened["maxPartBytes"]))
        for number, part in enumerate(_parts(paths, sizes, part_bytes), start=1):
            call("PUT", f"{upload}/parts/{number}", content=part,
                 headers={"Content-Type": "application/octet-stream"})
            if progress is not None:
                progress(len(part))
        return call("POST", f"{upload}/commit", timeout=None)
    except BaseException:
        # (after a commit that answered, the upload is gone already: nothing to abandon)
        with contextlib.suppress(Exception):
            call("DELETE", upload)
        raise


def _parts(paths: Sequence[Path], sizes: Sequence[int], part_bytes: int) -> Iterator[bytes]:
    """The first `sizes[i]` bytes of each of `paths`, end to end, in parts of `part_bytes`
    (the last one shorter)."""
    pending = bytearray()
    for path, size in zip(paths, sizes, strict=True):
        with path.open("rb") as source:
            left = size
            while left:
                chunk = _read(source, min(left, part_bytes - len(pending)), path)
                pending += chunk
                left -= len(chunk)
                if len(pending) == part_bytes:
                    yield bytes(pending)
                    pending.clear()
    if pending:
        yield bytes(pending)


def _read(source: BinaryIO, wanted: int, path: Path) -> bytes:
    chunk = source.read(wanted)
    if not chunk:
        raise InvalidRequest([wrong_format("FILE", f"{path} became shorter while it was sent")])
    return chunk
