"""`/v2/events`: storing and deleting events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ccstats.api.dependencies import Body, ServiceDep, Writer
from ccstats.api.envelope import invalid, not_found, ok
from ccstats.api.metrics import Metrics
from ccstats.api.schemas import BODY_FAILURES, EventIdPath, Stored, event_schema, responses
from ccstats.errors import required
from ccstats.ingest.lines import skip_bom

router = APIRouter(prefix="/v2/events", tags=["events"])

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "Events as NDJSON (one object per line) or as a JSON array; an empty "
                       "array is an empty batch, a body of only white space is refused.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": event_schema(),
                                            "minItems": 0}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post("", summary="Store a batch of events (atomic)", openapi_extra=_BODY_DOC,
             responses=responses(Stored, *BODY_FAILURES))
def store_events(request: Request, tenant: Writer, body: Body, service: ServiceDep) -> Response:
    """Store every event of the body, or none: any invalid line is a 417 naming it.

    ``[]`` is an empty batch (0 stored); a body of nothing but white space (after a
    byte-order mark, if any) holds no batch at all and is refused as missing.
    """
    if not body[skip_bom(body):].strip():
        raise invalid([required("body", "send events as NDJSON lines or a JSON array")])
    stored = service.ingest(tenant.customer.name, body)
    metrics: Metrics = request.app.state.metrics
    metrics.events_stored(stored)
    return ok({"stored": stored})


@router.delete("/{event_id}", summary="Delete one event by id", responses=responses(bool, 404))
def delete_event(event_id: EventIdPath, tenant: Writer, service: ServiceDep) -> Response:
    if not service.delete_event(tenant.customer.name, event_id):
        raise not_found(f"unknown event {event_id[:130]!r}", "event_id")
    return ok(True)
