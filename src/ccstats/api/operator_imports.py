"""`/v2/operator/customers/{customer}/imports`: `ccstats import --server`, in parts.

An import of any size reaches the server in parts, each a request body within the
server's ``--max-body-bytes``, and is stored as one atomic batch, as ``ccstats
import --db`` stores it:

1. ``POST .../imports`` opens an upload: the format, skipInvalid and the files
   (name and size); it answers the upload's id and the largest part.
2. ``PUT .../imports/{upload}/parts/{n}``, n = 1, 2, ... in order: the raw bytes
   that follow, spooled on the server's disk (`ccstats.api.upload_spool`).
3. ``POST .../imports/{upload}/commit`` once every declared byte arrived: imports
   the spooled files through the same code as the command (`Service.import_files`,
   `ccstats.importers.queue_log.importer.import_logs`) and answers its report;
   the upload is gone then, whatever the import answered.
4. ``DELETE .../imports/{upload}`` abandons an upload; nothing is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ccstats.api.bodies import json_object
from ccstats.api.dependencies import Body, ServiceDep, SettingsDep
from ccstats.api.envelope import invalid, ok, too_many_requests
from ccstats.api.import_schemas import (
    MAX_FILES,
    MAX_NAME,
    Imported,
    NewUpload,
    PartPath,
    PartStored,
    UploadOpened,
    UploadPath,
    binary_body,
)
from ccstats.api.operator import SECURITY, Operator, documented, with_body
from ccstats.api.schemas import BODY_FAILURES, CustomerPath
from ccstats.api.upload_spool import Declared, TooManyUploads, Upload, Uploads
from ccstats.digits import parse_digits
from ccstats.errors import ApiError, bad_arguments, wrong_format
from ccstats.import_reports import ndjson_answer, queue_log_answer
from ccstats.service import Service

router = APIRouter(prefix="/v2/operator/customers/{customer}/imports", tags=["operator"])
_FILES = ('files must be a list of 1 to 1000 objects such as {"name": "calls.ndjson", '
          '"bytes": 1048576}: each file\'s name (as the report names it) and size in bytes')


def _uploads(request: Request) -> Uploads:
    found: Uploads = request.app.state.uploads
    return found


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the server runs: remove what ended servers left, expire idle uploads, and
    remove every upload when it stops."""
    uploads: Uploads | None = getattr(app.state, "uploads", None)
    if uploads is None:
        yield
        return
    await run_in_threadpool(uploads.start)

    async def expire() -> None:
        while True:
            await asyncio.sleep(60)
            await run_in_threadpool(uploads.expire)

    sweeping = asyncio.get_running_loop().create_task(expire())
    try:
        yield
    finally:
        sweeping.cancel()
        uploads.close()


@router.post("", summary="Open an upload of an import in parts (ccstats import --server)",
             responses=documented(UploadOpened, 404, *BODY_FAILURES),
             openapi_extra=with_body(NewUpload, "The import: format and files."))
def open_upload(customer: CustomerPath, request: Request, _: Operator, body: Body,
                service: ServiceDep, settings: SettingsDep) -> Response:
    declared = _declared(service.customer(customer).name, json_object(body))
    uploads = _uploads(request)
    try:
        upload = uploads.open(declared)
    except TooManyUploads:
        raise too_many_requests(60, f"{uploads.max_open} uploads are open: commit or abandon "
                                    "one (an idle one is removed after "
                                    f"{uploads.idle_seconds:g} s)") from None
    return ok({"upload": upload.upload_id, "maxPartBytes": settings.max_body_bytes,
               "idleSeconds": uploads.idle_seconds})


def _declared(customer: str, found: dict[str, object]) -> Declared:
    errors: list[ApiError] = []
    chosen = found.get("format", "ndjson")
    if chosen not in ("ndjson", "queue_log"):
        errors.append(wrong_format("format", "format must be ndjson or queue_log"))
    skip_invalid = found.get("skipInvalid", False)
    if not isinstance(skip_invalid, bool):
        errors.append(wrong_format("skipInvalid", "skipInvalid must be true or false"))
    elif skip_invalid and chosen == "queue_log":
        errors.append(bad_arguments("skipInvalid", "skipInvalid is for format ndjson"))
    files = _files(found.get("files"), errors)
    if errors:
        raise invalid(errors)
    return Declared(customer, str(chosen), bool(skip_invalid), files)


def _files(files: object, errors: list[ApiError]) -> tuple[tuple[str, int], ...]:
    """The ``files`` member: ``[{"name": "a.ndjson", "bytes": 123}, ...]``."""
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
        errors.append(wrong_format("files", _FILES))
        return ()
    found: list[tuple[str, int]] = []
    for number, item in enumerate(files):
        name = item.get("name") if isinstance(item, dict) else None
        size = item.get("bytes") if isinstance(item, dict) else None
        if (isinstance(name, str) and 1 <= len(name) <= MAX_NAME and isinstance(size, int)
                and not isinstance(size, bool) and size >= 0):
            found.append((name, size))
        else:
            errors.append(wrong_format(f"files.{number}", _FILES))
    return tuple(found)


@router.put("/{upload}/parts/{part}", summary="Send the next part of an upload: raw bytes",
            responses=documented(PartStored, 404, *BODY_FAILURES),
            openapi_extra={**SECURITY, **binary_body(
                "The bytes that follow the previous parts, at most the server's "
                "--max-body-bytes.")})
def put_part(customer: CustomerPath, upload: UploadPath, part: PartPath, request: Request,
             _: Operator, body: Body) -> Response:
    number = parse_digits(part)
    if number is None or number < 1:
        raise invalid([wrong_format("part", "a part number: 1, 2, ... in order")])
    with _uploads(request).held(upload, customer) as found:
        found.append(number, body)
        return ok({"part": number, "received": found.received,
                   "bytes": found.declared.size})


@router.post("/{upload}/commit",
             summary="Import the upload's files as one atomic batch; answers the report",
             responses=documented(Imported, 404, 417), openapi_extra=SECURITY)
def commit(customer: CustomerPath, upload: UploadPath, request: Request, _: Operator,
           service: ServiceDep) -> Response:
    uploads = _uploads(request)
    with uploads.held(upload, customer) as found:
        if not found.complete:
            raise invalid([bad_arguments(
                "upload", f"the upload holds {found.received} of the {found.declared.size} "
                          "bytes declared: send the remaining parts first")])
        uploads.take(found)
    try:
        return ok(_imported(service, found))
    finally:
        shutil.rmtree(found.folder, ignore_errors=True)


def _imported(service: Service, upload: Upload) -> dict[str, Any]:
    declared = upload.declared
    names = [name for name, _ in declared.files]
    if declared.format == "queue_log":
        from ccstats.importers.queue_log import importer
        from ccstats.importers.queue_log.summary import summarize

        return queue_log_answer(summarize(importer.import_logs(
            service, declared.customer, upload.paths, names)))
    return ndjson_answer(service.import_files(declared.customer, upload.paths,
                                              declared.skip_invalid, names=names))


@router.delete("/{upload}", summary="Abandon an upload: its parts are deleted, nothing stored",
               responses=documented(bool, 404), openapi_extra=SECURITY)
def abandon(customer: CustomerPath, upload: UploadPath, request: Request,
            _: Operator) -> Response:
    uploads = _uploads(request)
    with uploads.held(upload, customer) as found:
        uploads.remove(found)
    return ok(True)
