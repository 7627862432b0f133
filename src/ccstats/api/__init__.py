"""The HTTP API (api.md): a thin layer over `ccstats.service.Service`; see `ccstats.api.app`."""
