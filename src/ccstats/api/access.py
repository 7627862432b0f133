"""`/v2/keys` and `/v2/access`: a customer's API keys and allowed client networks (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ccstats.api.auth import Authenticator
from ccstats.api.bodies import json_object
from ccstats.api.dependencies import Admin, Body, ServiceDep
from ccstats.api.envelope import invalid, ok
from ccstats.api.guard import address_in, client_address
from ccstats.api.schemas import (
    BODY_FAILURES,
    AccessChange,
    AccessOut,
    CreatedKey,
    KeyIdPath,
    KeyOut,
    NewKey,
    json_schema,
    request_body,
    responses,
)
from ccstats.errors import bad_arguments, required, wrong_format
from ccstats.model import Customer
from ccstats.service import parse_networks

router = APIRouter(prefix="/v2", tags=["keys and access"])


def _strings(body: bytes, member: str, example: str) -> list[str]:
    """The list of strings `member` of a JSON object body, or a 417 problem."""
    found = json_object(body)
    if member not in found:
        raise invalid([required(member, f"{member} is required: a list such as {example}")])
    value = found[member]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid([wrong_format(member, f"{member} must be a list of strings such as "
                                            f"{example}")])
    return value


def _keep_caller_in(request: Request, networks: list[str]) -> None:
    """417 for networks that leave out the caller's own address (as the guard sees it,
    behind a trusted proxy too): the change would lock the caller out at once.

    Malformed networks are left for the service to report.
    """
    try:
        chosen = parse_networks(networks)
    except ValueError:
        return
    client = client_address(request)
    if chosen and not address_in(chosen, client):
        raise invalid([bad_arguments(
            "networks", f"the networks leave out your own address {client or '(unknown)'}, "
                        "so this change would lock you out at once; include your network "
                        "(or change them with ccstats customer set --allow on the server)")])


def _forget(request: Request, customer_name: str) -> None:
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget(customer_name)


def _access(customer: Customer) -> dict[str, object]:
    return {"networks": list(customer.networks), "rateLimit": customer.rate_limit}


@router.get("/keys", summary="The customer's API keys (ids and scopes, never secrets)",
            responses=responses(list[KeyOut]))
def keys(tenant: Admin, service: ServiceDep) -> Response:
    return ok([key.public() for key in service.keys(tenant.customer.name)])


@router.post("/keys", summary="Create an API key; its secret is in this answer only",
             responses=responses(CreatedKey, *BODY_FAILURES),
             openapi_extra=request_body(json_schema(NewKey), "The scopes of the new key."))
def create_key(tenant: Admin, body: Body, service: ServiceDep) -> Response:
    scopes = _strings(body, "scopes", '["read", "write"]')
    created, secret = service.create_key(tenant.customer.name, scopes)
    return ok({**created.public(), "key": secret})


@router.delete("/keys/{key_id}", summary="Revoke an API key at once",
               responses=responses(bool, 404, 417))
def revoke_key(key_id: KeyIdPath, request: Request, tenant: Admin, service: ServiceDep) -> Response:
    service.revoke_key(tenant.customer.name, key_id)
    _forget(request, tenant.customer.name)
    return ok(True)


@router.get("/access", summary="Allowed client networks and the rate limit",
            responses=responses(AccessOut))
def access(tenant: Admin, service: ServiceDep) -> Response:
    return ok(_access(service.customer(tenant.customer.name)))


@router.put("/access", summary="Replace the allowed client networks (an empty list: any)",
            responses=responses(AccessOut, *BODY_FAILURES),
            openapi_extra=request_body(json_schema(AccessChange), "The allowed networks."))
def set_access(request: Request, tenant: Admin, body: Body, service: ServiceDep) -> Response:
    networks = _strings(body, "networks", '["203.0.113.0/24"]')
    _keep_caller_in(request, networks)
    changed = service.set_access(tenant.customer.name, networks)
    _forget(request, tenant.customer.name)
    return ok(_access(changed))
