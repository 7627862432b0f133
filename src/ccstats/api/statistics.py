"""`/v2/statistics/*`: the userbased and inbound statistics, the KPIs, their catalogs and
column presets."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute

from ccstats import render, spreadsheet
from ccstats.api.auth import Tenant
from ccstats.api.bodies import preset_body
from ccstats.api.dependencies import Admin, Body, Reader, ServiceDep
from ccstats.api.envelope import not_found, ok
from ccstats.api.schemas import (
    BODY_FAILURES,
    InboundField,
    InboundRecord,
    Kpi,
    KpiDefinition,
    KpiRecord,
    NewPreset,
    Preset,
    PresetIdPath,
    Record,
    json_schema,
    request_body,
    responses,
)
from ccstats.catalog import CATALOG
from ccstats.digits import parse_digits
from ccstats.errors import ApiError, InvalidRequest, bad_arguments
from ccstats.inbound import INBOUND_FIELDS
from ccstats.kpis import definitions
from ccstats.query import Endpoint, OutputFormat
from ccstats.service import Service

T = TypeVar("T")

router = APIRouter(prefix="/v2/statistics", tags=["statistics"])


def option(description: str, **form: object) -> object:
    """A query option, documented with its form; the service checks it (`ccstats.query`)."""
    return Query(description=description, json_schema_extra=form or None)


_DATE = option("yyyymmdd", pattern=r"^\d{8}$")
IDS = option("comma-separated ids", pattern=r"^\d{1,16}(,\d{1,16})*$")


TEXT_MEDIA = ("text/csv", "text/tab-separated-values")
#: The media type of a statistics answer as an Excel workbook (``of=xlsx``).
XLSX_MEDIA = (render.MEDIA_TYPES[OutputFormat.XLSX],)
_OF = option("json, csv (or cvs), tab; extension: xlsx (an Excel workbook)",
             enum=["json", "csv", "cvs", "tab", "xlsx"])
_TIMEZONE = option("extension: IANA zone")
_INTERVAL = option("extension: slot minutes", enum=["60", "30", "15"])
HIDE_SYSTEM = option("drop users of kind system", enum=["true", "false", "1", "0"])
SLA = option("service level threshold in seconds, 1-3600 (default 30)",
              pattern=r"^\d{1,4}$")
_NAMES = option("comma-separated names", pattern=r"^[A-Za-z]+(,[A-Za-z]+)*$")
_USER_DIMENSION = "(project|user|date|time)"
_QUEUE_DIMENSION = "(project|queue|date|time)"
_ANY_DIMENSION = "(project|user|queue|date|time)"


def _dimensions(one: str) -> object:
    return option("comma-separated dimensions", pattern=rf"^{one}(,{one}){{0,3}}$")


@router.get("/userbased", summary="User-based statistics (VCC Live compatible)",
            responses=responses(list[Record], 417, text=TEXT_MEDIA,
                                binary=XLSX_MEDIA))
def userbased(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    date_from: Annotated[str | None, _DATE, Query(alias="from")] = None,
    to: Annotated[str | None, _DATE] = None,
    dimensions: Annotated[str | None, _dimensions(_USER_DIMENSION)] = None,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, IDS] = None,
    users: Annotated[str | None, IDS] = None,
    hide_system_users: Annotated[str | None, HIDE_SYSTEM] = None,
    fields: Annotated[str | None, _NAMES] = None,
    preset: Annotated[str | None, option("a preset id", pattern=r"^\d{1,18}$")] = None,
    timezone: Annotated[str | None, _TIMEZONE] = None,
    interval: Annotated[str | None, _INTERVAL] = None,
) -> Response:
    """Statistics per project, user, date and time slot; every option as api.md says.

    The declared options document the endpoint; validation reads them all at once
    from the query string so that every problem is reported together, a declared
    option given more than once among them.
    """
    return _statistics(request, tenant, service, Endpoint.USERBASED)


@router.get("/inbound", summary="Inbound queue statistics",
            responses=responses(list[InboundRecord], 417, text=TEXT_MEDIA,
                                binary=XLSX_MEDIA))
def inbound_statistics(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    date_from: Annotated[str | None, _DATE, Query(alias="from")] = None,
    to: Annotated[str | None, _DATE] = None,
    dimensions: Annotated[str | None, _dimensions(_QUEUE_DIMENSION)] = None,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, IDS] = None,
    queues: Annotated[str | None, IDS] = None,
    manual_sla: Annotated[str | None, SLA] = None,
    fields: Annotated[str | None, _NAMES] = None,
    timezone: Annotated[str | None, _TIMEZONE] = None,
    interval: Annotated[str | None, _INTERVAL] = None,
) -> Response:
    """Queue calls per project, queue, date and time slot (queues-and-kpis.md §2)."""
    return _statistics(request, tenant, service, Endpoint.INBOUND)


@router.get("/kpis", summary="Contact-centre KPIs: ratios with numerator and denominator",
            responses=responses(list[KpiRecord], 417, text=TEXT_MEDIA,
                                binary=XLSX_MEDIA))
def kpi_statistics(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    kpis: Annotated[str | None, _NAMES] = None,
    date_from: Annotated[str | None, _DATE, Query(alias="from")] = None,
    to: Annotated[str | None, _DATE] = None,
    dimensions: Annotated[str | None, _dimensions(_ANY_DIMENSION)] = None,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, IDS] = None,
    users: Annotated[str | None, IDS] = None,
    hide_system_users: Annotated[str | None, HIDE_SYSTEM] = None,
    queues: Annotated[str | None, IDS] = None,
    manual_sla: Annotated[str | None, SLA] = None,
    timezone: Annotated[str | None, _TIMEZONE] = None,
    interval: Annotated[str | None, _INTERVAL] = None,
) -> Response:
    """The requested KPIs (all of one source) per group of that source's dimensions,
    computed from its fields (queues-and-kpis.md §3)."""
    return _statistics(request, tenant, service, Endpoint.KPIS)


def _statistics(request: Request, tenant: Tenant, service: Service,
                endpoint: Endpoint) -> Response:
    plan = checked(request, lambda params: service.plan(tenant.customer.name, params, endpoint))
    headers = {"Content-Disposition": f'attachment; filename="{spreadsheet.filename(plan)}"'} \
        if plan.output is OutputFormat.XLSX else None
    return _answer(service.stream(plan), render.MEDIA_TYPES[plan.output], headers)


def checked(request: Request, compute: Callable[[Mapping[str, str]], T]) -> T:
    """`compute`'s result for the query string, or a 417 with every problem: those of the
    options and each declared option given more than once (`repeated_options`)."""
    repeated = repeated_options(request)
    try:
        result = compute(dict(request.query_params))
    except InvalidRequest as rejected:
        named = {error.param for error in repeated}
        raise InvalidRequest([*repeated, *(error for error in rejected.errors
                                           if error.param not in named)]) from None
    if repeated:
        raise InvalidRequest(repeated)
    return result


def repeated_options(request: Request) -> list[ApiError]:
    """A problem for each option the route declares that the query gives more than once.

    (Otherwise the last one would silently win. Options the endpoint does not know
    are ignored, repeated or not.)
    """
    route: APIRoute = request.scope["route"]
    declared = {parameter.alias for parameter in route.dependant.query_params}
    counts = Counter(name for name, _ in request.query_params.multi_items() if name in declared)
    return [bad_arguments(name, f"{name} is given {count} times; give it once")
            for name, count in counts.items() if count > 1]


#: Answers up to this size are sent as one body with a Content-Length.
BUFFERED_BYTES = 4 << 20


def _answer(pieces: Iterator[bytes], media_type: str,
            headers: Mapping[str, str] | None = None) -> Response:
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
            return StreamingResponse(itertools.chain(head, pieces), media_type=media_type,
                                     headers=headers)
    return Response(b"".join(head), media_type=media_type, headers=headers)


@router.get("/fields", summary="The KPI catalog", responses=responses(list[Kpi]))
def fields(tenant: Reader) -> Response:
    return ok([kpi.public() for kpi in CATALOG])


@router.get("/inbound/fields", summary="The inbound statistics' fields",
            responses=responses(list[InboundField]))
def inbound_fields(tenant: Reader) -> Response:
    return ok([found.public() for found in INBOUND_FIELDS])


@router.get("/kpis/definitions", summary="The KPIs' formulas",
            responses=responses(list[KpiDefinition]))
def kpi_definitions(tenant: Reader) -> Response:
    return ok(definitions())


@router.get("/presets", summary="Column presets", responses=responses(list[Preset]))
def presets(tenant: Reader, service: ServiceDep) -> Response:
    found = service.presets(tenant.customer.name)
    return ok([preset.public() for preset in found])


@router.post("/presets", summary="Create a column preset; answers its id",
             responses=responses(int, *BODY_FAILURES),
             openapi_extra=request_body(json_schema(NewPreset), "The preset's name and fields."))
def create_preset(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    name, names = preset_body(body)
    created = service.create_preset(tenant.customer.name, name, names)
    return ok(created.preset_id)


@router.delete("/presets/{preset_id}", summary="Delete a column preset",
               responses=responses(bool, 404))
def delete_preset(preset_id: PresetIdPath, tenant: Admin, service: ServiceDep) -> Response:
    number = parse_digits(preset_id)
    if number is None:
        raise not_found(f"unknown preset {preset_id[:40]!r}", "preset_id")
    service.delete_preset(tenant.customer.name, number)
    return ok(True)
