"""The HTTP API (api.md): a thin layer over `ccstats.service.Service`."""

from ccstats.api.app import create_app

__all__ = ["create_app"]
