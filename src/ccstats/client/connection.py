"""One customer's connection to a ccstats server: HTTP Basic, the envelope, and retries.

A 429 (over the rate limit) or 503 (the store cannot save or be reached right now)
changed nothing on the server (README "Errors"), so the same request is sent again
after the answer's ``Retry-After`` seconds, at most `max_retries` times; then
`RetriesExhausted`. Every other status but 200 is an `ApiFailure` with the
envelope's errors.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from ccstats import __version__
from ccstats.client.errors import ApiError, ApiFailure, RetriesExhausted, Unreachable

#: Statuses after which nothing was changed and the same request may be sent again.
RETRIED = frozenset({429, 503})
#: Seconds waited when an answer to retry names no (readable) ``Retry-After``.
DEFAULT_WAIT = 1.0
#: The longest wait for one retry, whatever ``Retry-After`` says.
LONGEST_WAIT = 60.0


def retry_after(value: str | None) -> float:
    """The seconds a ``Retry-After`` header asks to wait: seconds or an HTTP date."""
    if value is None:
        return DEFAULT_WAIT
    text = value.strip()
    if text.isdigit():
        return min(float(text), LONGEST_WAIT)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return DEFAULT_WAIT
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), LONGEST_WAIT)


def failure(response: httpx.Response) -> ApiFailure:
    """The `ApiFailure` of a read refusal; its errors from the envelope when there is one."""
    request_id = response.headers.get("x-request-id")
    try:
        body = orjson.loads(response.content)
        errors = [ApiError(str(e["code"]), str(e["message"]), e.get("param"))
                  for e in body["errors"]]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        errors = [ApiError("error.unknown", f"the server answered {response.status_code} "
                                            "without a ccstats envelope", None)]
    return ApiFailure(response.status_code, errors, request_id)


class Connection:
    """Requests of customer `customer` with API key `key` to the server at `url`."""

    def __init__(self, url: str, customer: str, key: str, timeout: float = 60.0,
                 max_retries: int = 5) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._http = httpx.Client(base_url=self.url, auth=(customer, key), timeout=timeout,
                                  headers={"User-Agent": f"ccstats-client/{__version__}"})

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, params: Mapping[str, str] | None = None,
             content: bytes | None = None, headers: Mapping[str, str] | None = None) -> Any:
        """The ``response`` member of the envelope of a JSON answer."""
        request = self._http.build_request(method, path, params=params, content=content,
                                           headers=headers)
        response = self._send(request, stream=False)
        return orjson.loads(response.content)["response"]

    @contextmanager
    def stream(self, path: str, params: Mapping[str, str],
               timeout: httpx.Timeout | None = None) -> Iterator[httpx.Response]:
        """An answer of status 200 whose body is read as it comes (`iter_bytes`,
        `iter_lines`) in the block; closed when the block ends. A connection that breaks
        meanwhile raises `Unreachable`."""
        request = self._http.build_request("GET", path, params=params,
                                           timeout=timeout or httpx.USE_CLIENT_DEFAULT)
        response = self._send(request, stream=True)
        try:
            yield response
        except httpx.TransportError as error:
            raise Unreachable(f"the answer of the server at {self.url} broke off: {error}"
                              ) from None
        finally:
            response.close()

    def _send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        """The answer of status 200 to `request`, after retries of 429 and 503."""
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                raise Unreachable(f"cannot reach the server at {self.url}: {error}") from None
            if response.status_code == 200:
                return response
            response.read()
            response.close()
            if response.status_code not in RETRIED:
                raise failure(response)
            if attempts > self.max_retries:
                raise RetriesExhausted(failure(response), attempts)
            time.sleep(retry_after(response.headers.get("retry-after")))
