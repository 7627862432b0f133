"""What every route needs: the service, the settings and the request's tenant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from ccstats.api.auth import Authenticator, Tenant
from ccstats.api.encoding import decoder
from ccstats.api.envelope import body_stalled, too_large
from ccstats.api.guard import Guard, client_address
from ccstats.api.settings import Settings
from ccstats.digits import parse_digits
from ccstats.model import Scope
from ccstats.service import Service


# (Dependencies that never block are coroutines: FastAPI would run a plain
# function in the thread pool, a hand-over per request that costs more than it.)
async def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


async def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def _tenant_with(scope: Scope) -> object:
    def dependency(request: Request) -> Tenant:
        """The authenticated tenant, admitted (network, rate) and holding `scope`."""
        authenticator: Authenticator = request.app.state.authenticator
        tenant = authenticator.tenant(request)
        request.state.customer = tenant.customer.name
        guard: Guard = request.app.state.guard
        guard.admit(tenant.customer, client_address(request))
        tenant.require(scope)
        return tenant

    return dependency


Reader = Annotated[Tenant, Depends(_tenant_with(Scope.READ))]
Writer = Annotated[Tenant, Depends(_tenant_with(Scope.WRITE))]
Admin = Annotated[Tenant, Depends(_tenant_with(Scope.ADMIN))]
ServiceDep = Annotated[Service, Depends(service)]
SettingsDep = Annotated[Settings, Depends(settings)]


async def body(request: Request) -> bytes:
    """The request body, refused with 413 once it exceeds the configured limit.

    A declared ``Content-Length`` over the limit is refused before reading; an
    undeclared (chunked) body is read only up to the limit. A gzip body is
    inflated, and the limit holds for the inflated bytes too; another
    ``Content-Encoding`` is refused with 415 (`ccstats.api.encoding`). A body
    of which nothing arrives for the configured seconds gets 408.
    """
    configured = await settings(request)
    limit = configured.max_body_bytes
    decoding = decoder(request.headers.get("content-encoding"), limit)
    declared = parse_digits(request.headers.get("content-length", ""))
    if declared is not None and declared > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in _unstalled(request.stream(), configured.body_timeout):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(decoding.feed(chunk))
    decoding.finish()
    return b"".join(chunks)


async def _unstalled(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """`chunks`, or a 408 problem once the next one takes longer than `seconds`."""
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise body_stalled(seconds) from None
        yield chunk


Body = Annotated[bytes, Depends(body)]
