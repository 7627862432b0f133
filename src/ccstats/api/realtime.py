"""`/v2/onlineusers` and `/v2/realtime/queues`: what is happening now (realtime.md §2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ccstats.api.dependencies import Reader, ServiceDep
from ccstats.api.schemas import OnlineUser, RealtimeQueue, responses
from ccstats.api.statistics import option, repeated_options
from ccstats.errors import InvalidRequest
from ccstats.realtime.answers import Answer

router = APIRouter(prefix="/v2", tags=["realtime"])

_TEXT = ("text/csv", "text/tab-separated-values")
_OF = option("json (default), csv (or cvs), tab", enum=["json", "csv", "cvs", "tab"])
_IDS = option("comma-separated ids", pattern=r"^\d{1,16}(,\d{1,16})*$")
_HIDE_SYSTEM = option("drop users of kind system", enum=["true", "false", "1", "0"])
_SLA = option("service level threshold in seconds, 1-3600 (default 30)",
              pattern=r"^\d{1,4}$")


@router.get("/onlineusers", summary="The users online now, their state and current call",
            responses=responses(list[OnlineUser], 417, text=_TEXT))
def online_users(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, _IDS] = None,
    users: Annotated[str | None, _IDS] = None,
    hide_system_users: Annotated[str | None, _HIDE_SYSTEM] = None,
) -> Response:
    """One record per user with an open, non-stale userstate, sorted by userId.

    ``projects`` keeps the users whose current state (the latest open userstate)
    belongs to one of the projects. The declared options document the endpoint;
    they are read all at once from the query string so that every problem is
    reported together, a declared option given more than once among them.
    """
    return _answer(request, lambda params: service.online_users(tenant.customer.name, params))


@router.get("/realtime/queues", summary="The queues now: waiting, talking and today's figures",
            responses=responses(list[RealtimeQueue], 417, text=_TEXT))
def realtime_queues(
    request: Request,
    tenant: Reader,
    service: ServiceDep,
    of: Annotated[str | None, _OF] = None,
    projects: Annotated[str | None, _IDS] = None,
    queues: Annotated[str | None, _IDS] = None,
    manual_sla: Annotated[str | None, _SLA] = None,
) -> Response:
    """One record per queue with an open, non-stale queue call or one that started
    today (the customer's local date), sorted by queueId. ``projects`` keeps the
    queue calls of those projects; today's ``serviceLevel`` and ``asa`` are those of
    queues-and-kpis.md at ``manual_sla``."""
    return _answer(request, lambda params: service.realtime_queues(tenant.customer.name,
                                                                   params))


def _answer(request: Request, compute: Callable[[Mapping[str, str]], Answer]) -> Response:
    """`compute`'s answer to the query string, or a 417 with every problem: those of the
    options and each declared option given more than once."""
    repeated = repeated_options(request)
    try:
        answer = compute(dict(request.query_params))
    except InvalidRequest as rejected:
        named = {error.param for error in repeated}
        raise InvalidRequest([*repeated, *(error for error in rejected.errors
                                           if error.param not in named)]) from None
    if repeated:
        raise InvalidRequest(repeated)
    return Response(answer.body, media_type=answer.media_type)
