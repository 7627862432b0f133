"""The supervisors' dashboard: a static page at ``/`` that uses only the public API.

The page (``static/index.html`` and its modules under ``/dashboard/``) signs in
with the customer's name and key, which it keeps in the page's memory only, and
calls the API with an ``Authorization: Basic`` header. Everything it loads is
served from here (no external URL); the Content-Security-Policy of the page
enforces that in the browser.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
ASSETS_PATH = "/dashboard"

#: Only this server's own scripts, styles and API; downloads are saved from blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def mount(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets under ``/dashboard/``."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers=PAGE_HEADERS)

    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC), name="dashboard")
