"""What the tests of the operator routes and of the commands' ``--server`` share: the
operator key of the servers they start, its key file, an HTTP client holding it, the
envelope's answer, and the `ccstats` command run with the key in its environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from api.conftest import CCSTATS

#: The operator key of every server these tests start with ``--operator-key-file``.
OPERATOR_KEY = "operator-key-for-tests-0123456789abcdef"


def write_key_file(folder: Path) -> Path:
    """A key file holding `OPERATOR_KEY`, in `folder`."""
    path = folder / "operator.key"
    path.write_text(OPERATOR_KEY + "\n")
    return path


def operator(url: str, key: str = OPERATOR_KEY) -> httpx.Client:
    """A client of the server at `url` that sends `key` as the operator's bearer token."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def answer(response: httpx.Response, status: int = 200) -> Any:
    """The ``response`` of a 200 (or the ``errors`` of another `status`) in the envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    if status == 200:
        assert body["errors"] == []
        return body["response"]
    assert body["response"] is None and body["errors"]
    return body["errors"]


def ccstats(*args: str, key: str | None = OPERATOR_KEY, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
    """`ccstats ARGS` with `key` in env CCSTATS_OPERATOR_KEY (None: no key) and no
    CCSTATS_DB of the caller's."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("CCSTATS_OPERATOR_KEY", "CCSTATS_DB")}
    if key is not None:
        env["CCSTATS_OPERATOR_KEY"] = key
    return subprocess.run([str(CCSTATS), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)
