"""The ASGI application: its state, routes, failure handlers and middleware."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from ccstats import __version__, dashboard
from ccstats.api import (
    access,
    events,
    failures,
    metadata,
    operator,
    operator_entities,
    operator_erasure,
    operator_imports,
    probes,
    realtime,
    statistics,
)
from ccstats.api.auth import Authenticator
from ccstats.api.guard import Guard
from ccstats.api.metrics import Metrics
from ccstats.api.middleware import RequestIdAndFaults
from ccstats.api.operator_auth import OperatorAuthenticator
from ccstats.api.schemas import finish
from ccstats.api.settings import Settings
from ccstats.api.stream import Broadcaster
from ccstats.api.upload_spool import Uploads, spool_root
from ccstats.pipeline import render as pipeline_render
from ccstats.service import Service

ROUTERS = (statistics.router, realtime.router, metadata.router, events.router, access.router,
           probes.router)


def create_app(service: Service, settings: Settings | None = None) -> FastAPI:
    """The API over `service`."""
    settings = settings or Settings()
    pipeline_render.warm_up()
    app = FastAPI(
        title="ccstats",
        version=__version__,
        description="Contact-centre statistics; `GET /v2/statistics/userbased` is compatible "
                    "with VCC Live's API. Every JSON body is {\"response\", \"errors\"}.",
        docs_url=None,
        redoc_url=None,
        lifespan=operator_imports.lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    app.state.guard = Guard(settings.rate_limit, settings.failed_logins_per_minute)
    routers: tuple[APIRouter, ...] = ROUTERS
    refused = None
    if settings.operator_key is not None:
        app.state.operator = OperatorAuthenticator(
            settings.operator_key, settings.failed_logins_per_minute,
            settings.auth_cache_seconds)
        refused = app.state.operator.is_operator_key
        routers = (*ROUTERS, operator.router, operator_entities.router, operator_imports.router,
                   operator_erasure.router)
        app.state.uploads = Uploads(settings.upload_root or spool_root())
    app.state.authenticator = Authenticator(service, app.state.guard, settings.base_domain,
                                            settings.auth_cache_seconds, refused=refused)
    app.state.metrics = metrics = Metrics()
    app.state.broadcaster = Broadcaster(service, metrics, settings.stream_buffer)
    for router in routers:
        app.include_router(router)
    app.state.routers = routers
    dashboard.mount(app)
    _finish_openapi(app)
    failures.install(app)
    app.add_middleware(RequestIdAndFaults, metrics=metrics)
    return app


def _finish_openapi(app: FastAPI) -> None:
    """Serve the generated OpenAPI document completed (`ccstats.api.schemas.finish`)."""
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return finish(generate_openapi())

    app.openapi = openapi  # type: ignore[method-assign]
