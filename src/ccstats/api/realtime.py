"""`/v2/onlineusers`, `/v2/realtime/queues` and `/v2/realtime/stream`: what is happening now
(realtime.md §2)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ccstats.api.dependencies import Reader, ServiceDep, SettingsDep
from ccstats.api.schemas import OnlineUser, RealtimeQueue, responses
from ccstats.api.statistics import (
    HIDE_SYSTEM,
    IDS,
    SLA,
    TEXT_MEDIA,
    checked,
    option,
)
from ccstats.api.stream import Broadcaster, Stream, Topic
from ccstats.realtime.answers import Answer

router = APIRouter(prefix="/v2", tags=["realtime"])

_OF = option("json (default), csv (or cvs), tab", enum=["json", "csv", "cvs", "tab"])


@router.get("/onlineusers", summary="The users online now, their state and current call",
            responses=responses(list[OnlineUser], 417, text=TEXT_MEDIA))
def online_users(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, IDS] = None,
    users: Annotated[str | None, IDS] = None,
    hide_system_users: Annotated[str | None, HIDE_SYSTEM] = None,
) -> Response:
    """One record per user with an open, non-stale userstate, sorted by userId.

    ``projects`` keeps the users whose current state (the latest open userstate)
    belongs to one of the projects. The declared options document the endpoint;
    they are read all at once from the query string so that every problem is
    reported together, a declared option given more than once among them.
    """
    return _answer(request, lambda params: service.online_users(tenant.customer.name, params))


@router.get("/realtime/queues", summary="The queues now: waiting, talking and today's figures",
            responses=responses(list[RealtimeQueue], 417, text=TEXT_MEDIA))
def realtime_queues(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, IDS] = None,
    queues: Annotated[str | None, IDS] = None,
    manual_sla: Annotated[str | None, SLA] = None,
) -> Response:
    """One record per queue with an open, non-stale queue call or one that started
    today (the customer's local date), sorted by queueId. ``projects`` keeps the
    queue calls of those projects; today's ``serviceLevel`` and ``asa`` are those of
    queues-and-kpis.md at ``manual_sla``."""
    return _answer(request, lambda params: service.realtime_queues(tenant.customer.name,
                                                                   params))


@router.get("/realtime/stream", summary="Snapshots of the users online and the queues, as "
            "they change (Server-Sent Events)",
            response_class=StreamingResponse,
            responses={**responses(None, 417), 200: {
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
                "description": "A snapshot now, another within 1 s of each change (at most "
                               "one per second), keep-alive comments"}})
async def realtime_stream(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    settings: SettingsDep,
    projects: Annotated[str | None, IDS] = None,
    users: Annotated[str | None, IDS] = None,
    hide_system_users: Annotated[str | None, HIDE_SYSTEM] = None,
    queues: Annotated[str | None, IDS] = None,
    manual_sla: Annotated[str | None, SLA] = None,
) -> StreamingResponse:
    """``text/event-stream``: on connect an ``event: snapshot`` whose ``data`` is
    ``{"users": <the /v2/onlineusers answer>, "queues": <the /v2/realtime/queues answer>}``
    with these options, then a new one within 1 second of any batch stored or event
    deleted for the customer (by any server process on the store), at most one per
    second, and a ``: keep-alive`` comment every 15 seconds. It ends when the key is
    revoked, or when the client falls behind by several snapshots."""
    query = await run_in_threadpool(
        checked, request, lambda params: service.stream_query(tenant.customer.name, params))
    broadcaster: Broadcaster = request.app.state.broadcaster
    stream, first = await broadcaster.open(Topic(tenant.customer.name, query), tenant.key_id)
    return StreamingResponse(_events(broadcaster, stream, first, settings.stream_keep_alive),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(broadcaster: Broadcaster, stream: Stream, first: bytes,
                  keep_alive: float) -> AsyncIterator[bytes]:
    """The bytes of `stream`'s response, until it ends or its client goes."""
    try:
        yield b"retry: 2000\n\n" + _snapshot_event(first)
        while (snapshot := await stream.next(keep_alive)) is not None:
            yield _snapshot_event(snapshot) if snapshot else b": keep-alive\n\n"
    finally:
        broadcaster.close_stream(stream)


def _snapshot_event(data: bytes) -> bytes:
    """A snapshot as a server-sent event (its JSON holds no line break)."""
    return b"event: snapshot\ndata: " + data + b"\n\n"


def _answer(request: Request, compute: Callable[[Mapping[str, str]], Answer]) -> Response:
    """`compute`'s answer to the query string as a response (see `checked`)."""
    answer = checked(request, compute)
    return Response(answer.body, media_type=answer.media_type)
