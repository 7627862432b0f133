"""`/v2/operator/...`: what the command line administers, on a running server.

These routes exist only when the server was started with ``--operator-key-file``
(`ccstats.api.app`); they take the operator key (`ccstats.api.operator_auth`),
never a customer's, and they read no statistics. Each does what the command of
the same name does with ``--db``, through the same `Service` method.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ccstats.api.auth import Authenticator
from ccstats.api.bodies import json_object
from ccstats.api.dependencies import Body, ServiceDep
from ccstats.api.envelope import invalid, ok
from ccstats.api.operator_auth import OperatorAuthenticator
from ccstats.api.schemas import (
    BODY_FAILURES,
    BackupWritten,
    CreatedCustomer,
    CreatedKey,
    CustomerAccessChange,
    CustomerOut,
    CustomerPath,
    KeyIdPath,
    KeyOut,
    NewBackup,
    NewCustomer,
    NewKey,
    PruneDone,
    Rebuilt,
    json_schema,
    request_body,
    responses,
)
from ccstats.errors import ApiError, required, wrong_format
from ccstats.model import Customer
from ccstats.service import UNCHANGED, Unchanged


def _operator(request: Request) -> None:
    """Admit only the operator key (a plain function: the slow hash runs in the pool)."""
    authenticator: OperatorAuthenticator = request.app.state.operator
    authenticator.check(request)
    request.state.customer = "(operator)"


Operator = Annotated[None, Depends(_operator)]
SECURITY: dict[str, Any] = {"security": [{"operator": []}]}

router = APIRouter(prefix="/v2/operator", tags=["operator"])


def documented(model: Any, *failures: int) -> dict[int | str, dict[str, Any]]:
    """The answers of an operator route: no scopes or networks, so no 403."""
    return responses(model, 401, 429, *failures, public=True)


def with_body(kind: Any, description: str) -> dict[str, Any]:
    return {**SECURITY, **request_body(json_schema(kind), description)}


def _customer_out(customer: Customer) -> dict[str, object]:
    return {"name": customer.name, "timezone": customer.timezone,
            "networks": list(customer.networks), "rateLimit": customer.rate_limit,
            "keepDays": customer.keep_days}


def _whole_or_null(found: dict[str, object], member: str, errors: list[ApiError]
                   ) -> int | Unchanged | None:
    """Member `member`: an integer or null; absent: `UNCHANGED`."""
    if member not in found:
        return UNCHANGED
    given = found[member]
    if given is None or (isinstance(given, int) and not isinstance(given, bool)):
        return given
    errors.append(wrong_format(member, f"{member} must be an integer or null"))
    return UNCHANGED


def _text(found: dict[str, object], member: str, errors: list[ApiError],
          needed: bool = False) -> str | None:
    value = found.get(member)
    if value is None:
        if needed:
            errors.append(required(member, f"{member} is required: a string"))
        return None
    if not isinstance(value, str):
        errors.append(wrong_format(member, f"{member} must be a string"))
        return None
    return value


def _forget(request: Request, customer_name: str) -> None:
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget(customer_name)


@router.get("/customers", summary="Customers: time zone, allowed networks and rate limit",
            responses=documented(list[CustomerOut]), openapi_extra=SECURITY)
def customers(_: Operator, service: ServiceDep) -> Response:
    return ok([_customer_out(found) for found in service.customers()])


@router.post("/customers", summary="Create a customer with one key holding every scope",
             responses=documented(CreatedCustomer, *BODY_FAILURES),
             openapi_extra=with_body(NewCustomer, "The new customer."))
def create_customer(_: Operator, body: Body, service: ServiceDep) -> Response:
    found = json_object(body)
    errors: list[ApiError] = []
    name = _text(found, "name", errors, needed=True)
    timezone = _text(found, "timezone", errors) or "UTC"
    password = _text(found, "password", errors)
    if errors or name is None:
        raise invalid(errors)
    secret = service.create_customer(name, timezone, password)
    created = _customer_out(service.customer(name))
    return ok({**created, "key": None if password is not None else secret})


@router.put("/customers/{customer}/access",
            summary="Change a customer's allowed networks, rate limit and/or retention",
            responses=documented(CustomerOut, 404, *BODY_FAILURES),
            openapi_extra=with_body(CustomerAccessChange, "The members to change."))
def set_access(customer: CustomerPath, request: Request, _: Operator, body: Body,
               service: ServiceDep) -> Response:
    found = json_object(body)
    errors: list[ApiError] = []
    networks = found.get("networks")
    if networks is not None and (not isinstance(networks, list)
                                 or not all(isinstance(item, str) for item in networks)):
        errors.append(wrong_format("networks", "networks must be a list of CIDRs such as "
                                               '["203.0.113.0/24"]; [] for any network'))
    limit = _whole_or_null(found, "rateLimit", errors)
    keep_days = _whole_or_null(found, "keepDays", errors)
    if networks is None and "rateLimit" not in found and "keepDays" not in found:
        errors.append(required("networks", "give networks, rateLimit and/or keepDays"))
    if errors:
        raise invalid(errors)
    changed = service.set_access(customer, networks if isinstance(networks, list) else None,
                                 limit, keep_days)
    _forget(request, customer)
    return ok(_customer_out(changed))


@router.get("/customers/{customer}/keys", summary="A customer's keys (ids and scopes)",
            responses=documented(list[KeyOut], 404), openapi_extra=SECURITY)
def keys(customer: CustomerPath, _: Operator, service: ServiceDep) -> Response:
    return ok([key.public() for key in service.keys(customer)])


@router.post("/customers/{customer}/keys",
             summary="Create a key of a customer; its secret is in this answer only",
             responses=documented(CreatedKey, 404, *BODY_FAILURES),
             openapi_extra=with_body(NewKey, "The scopes of the new key."))
def create_key(customer: CustomerPath, _: Operator, body: Body,
               service: ServiceDep) -> Response:
    scopes = json_object(body).get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(item, str) for item in scopes):
        raise invalid([wrong_format("scopes", 'scopes must be a list such as ["read"]')])
    created, secret = service.create_key(customer, scopes)
    return ok({**created.public(), "key": secret})


@router.delete("/customers/{customer}/keys/{key_id}", summary="Revoke a customer's key at once",
               responses=documented(bool, 404, 417), openapi_extra=SECURITY)
def revoke_key(customer: CustomerPath, key_id: KeyIdPath, request: Request, _: Operator,
               service: ServiceDep) -> Response:
    service.revoke_key(customer, key_id)
    _forget(request, customer)
    return ok(True)


@router.post("/rebuild", summary="Recompute every statistic from the stored raw events",
             responses=documented(Rebuilt, 404), openapi_extra=SECURITY)
def rebuild(_: Operator, service: ServiceDep,
            customer: Annotated[str | None, Query(description="only this customer")] = None,
            ) -> Response:
    chosen = None if customer is None else service.customer(customer).name
    return ok({"events": service.rebuild(chosen)})


@router.post("/compact", summary="Merge the logs of the sums (answers stay the same)",
             responses=documented(bool), openapi_extra=SECURITY)
def compact(_: Operator, service: ServiceDep) -> Response:
    service.compact()
    return ok(True)


@router.post("/prune", summary="Remove the events and sums older than each customer's "
                               "retention (ccstats prune)",
             responses=documented(list[PruneDone], 404), openapi_extra=SECURITY)
def prune(_: Operator, service: ServiceDep,
          customer: Annotated[str | None, Query(description="only this customer")] = None,
          ) -> Response:
    return ok([{"customer": done.customer, "keepDays": done.keep_days,
                "keptFrom": None if done.kept_from is None else done.kept_from.isoformat(),
                "events": done.events} for done in service.prune(customer)])


@router.post("/backup", summary="Write a consistent copy of the database to a new file on "
                                "the server's machine (DuckDB store only)",
             responses=documented(BackupWritten, *BODY_FAILURES),
             openapi_extra=with_body(NewBackup, "Where to write it."))
def backup(_: Operator, body: Body, service: ServiceDep) -> Response:
    errors: list[ApiError] = []
    path = _text(json_object(body), "path", errors, needed=True)
    if errors or path is None:
        raise invalid(errors)
    written = service.backup(path)
    return ok({"path": written.path, "bytes": written.bytes, "events": written.events,
               "seconds": round(written.seconds, 3)})
