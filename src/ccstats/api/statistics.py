"""`/v2/statistics/*`: the userbased statistics, the KPI catalog and column presets."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from ccstats import render
from ccstats.api.bodies import preset_body
from ccstats.api.dependencies import Admin, Body, Reader, ServiceDep
from ccstats.api.envelope import not_found, ok
from ccstats.catalog import CATALOG

router = APIRouter(prefix="/v2/statistics", tags=["statistics"])

Option = Annotated[str | None, Query()]


@router.get("/userbased", summary="User-based statistics (VCC Live compatible)")
def userbased(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    date_from: Annotated[str | None, Query(alias="from", description="yyyymmdd")] = None,
    to: Annotated[str | None, Query(description="yyyymmdd")] = None,
    dimensions: Annotated[str | None, Query(description="project,user,date,time")] = None,
    of: Annotated[str | None, Query(description="json, csv (or cvs), tab")] = None,
    projects: Option = None,
    users: Option = None,
    hide_system_users: Option = None,
    fields: Option = None,
    preset: Option = None,
    timezone: Annotated[str | None, Query(description="extension: IANA zone")] = None,
    interval: Annotated[str | None, Query(description="extension: 60, 30 or 15")] = None,
) -> Response:
    """Statistics per project, user, date and time slot; every option as api.md says.

    The declared options document the endpoint; validation reads them all at once
    from the query string so that every problem is reported together.
    """
    plan = service.plan(tenant.customer.name, dict(request.query_params))
    return _answer(service.stream(plan), render.MEDIA_TYPES[plan.output])


#: Answers up to this size are sent as one body with a Content-Length.
BUFFERED_BYTES = 4 << 20


def _answer(pieces: Iterator[bytes], media_type: str) -> Response:
    """A small answer in one body; a larger one streamed as it is produced.

    Sending a small answer whole spares the per-piece hand-over between threads
    that streaming costs, and a failure while producing it still gets an error
    answer rather than a cut connection.
    """
    head: list[bytes] = []
    size = 0
    for piece in pieces:
        head.append(piece)
        size += len(piece)
        if size > BUFFERED_BYTES:
            return StreamingResponse(itertools.chain(head, pieces), media_type=media_type)
    return Response(b"".join(head), media_type=media_type)


@router.get("/fields", summary="The KPI catalog")
def fields(tenant: Reader) -> Response:
    return ok([kpi.public() for kpi in CATALOG])


@router.get("/presets", summary="Column presets")
def presets(tenant: Reader, service: ServiceDep) -> Response:
    found = service.store.presets(tenant.customer.customer_id)
    return ok([preset.public() for preset in found])


@router.post("/presets", summary="Create a column preset; answers its id")
def create_preset(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    name, names = preset_body(body)
    created = service.create_preset(tenant.customer.name, name, names)
    return ok(created.preset_id)


@router.delete("/presets/{preset_id}", summary="Delete a column preset")
def delete_preset(preset_id: str, tenant: Admin, service: ServiceDep) -> Response:
    if not preset_id.isdigit() or len(preset_id) > 18:
        raise not_found(f"unknown preset {preset_id[:40]!r}", "preset_id")
    service.delete_preset(tenant.customer.name, int(preset_id))
    return ok(True)
