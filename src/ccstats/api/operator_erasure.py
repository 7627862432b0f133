"""`DELETE /v2/operator/customers/{customer}/users/{user_id}`: erase a user.

What ``ccstats user erase ID --customer NAME --server URL`` calls: `Service.erase_user`,
for the operator only (`ccstats.api.operator`). The user is gone from every answer and
export when it returns; whether the database's files still hold its bytes is the
answer's ``scrub`` (docs/operations.md, "Erasure").
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ccstats.api.dependencies import ServiceDep
from ccstats.api.envelope import not_found, ok
from ccstats.api.operator import SECURITY, Operator, documented
from ccstats.api.schemas import CustomerPath, EntityIdPath, ErasedUser
from ccstats.digits import parse_digits
from ccstats.store.erasure import Erasure

router = APIRouter(prefix="/v2/operator/customers/{customer}", tags=["operator"])


def erased_out(erased: Erasure) -> dict[str, object]:
    return {"userid": erased.user_id, "name": erased.name, "events": erased.events,
            "mappings": erased.mappings, "scrub": str(erased.scrub)}


@router.delete("/users/{user_id}",
               summary="Erase a user: its events, its sums, its name and the names mapped "
                       "to it (for good)",
               responses=documented(ErasedUser, 404), openapi_extra=SECURITY)
def erase_user(customer: CustomerPath, user_id: EntityIdPath, _: Operator,
               service: ServiceDep) -> Response:
    ident = parse_digits(user_id, 16)
    if ident is None:
        raise not_found(f"unknown user {user_id[:40]!r}", "user_id")
    return ok(erased_out(service.erase_user(customer, ident)))
