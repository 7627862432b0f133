"""Fuzzing every operator operation of `/openapi.json` (`serve --operator-key-file`), as
tests/api/test_fuzz_openapi.py fuzzes the customers' (whose server has no operator key).

Cases are generated from the document, positive and negative, half of them naming the
customer that exists, with a hostile value planted into some; each answer must be
documented (status, content type, schema) and in the envelope, never a 5xx but one: an
upload declaring more bytes than the disk has free (and no more than it holds) is
refused as unavailable for now (503 ``error.unavailable``). Left out:
``POST /v2/operator/backup``, which writes files where it is told on the server's
machine (its refusals are tested in tests/api/test_http_backup.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Ok

from api.conftest import Account, Launcher
from api.operating import OPERATOR_KEY
from api.test_fuzz_openapi import CHECKS, EXAMPLES, HOSTILE, check_envelope, plant
from api.test_http_operator import CUSTOMER, PASSWORD


@pytest.fixture(scope="module")
def operated(launch: Launcher, key_file: Path) -> str:
    """A server with the operator routes and one customer."""
    accounts: list[Account] = [(CUSTOMER, "UTC", PASSWORD)]
    return launch(accounts, {}, ["--operator-key-file", str(key_file)])


LEFT_OUT = {("POST", "/v2/operator/backup")}
OPEN_UPLOAD = ("POST", "/v2/operator/customers/{customer}/imports")


def _no_room_now(case: Case[Any], response: schemathesis.Response) -> bool:
    """Whether `response` refuses an upload only because the disk lacks the room now."""
    if (case.method.upper(), case.path) != OPEN_UPLOAD or response.status_code != 503:
        return False
    [error] = response.json()["errors"]
    return bool(error["code"] == "error.unavailable" and "no room" in error["message"])


def _fuzz(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, server: str,
          session: requests.Session) -> None:
    """Fewer cases than test_fuzz_openapi.py's: the operator's routes are alike."""

    @settings(max_examples=max(EXAMPLES // 3, 12), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode), data=st.data(), ours=st.booleans(),
           hostile=st.none() | st.sampled_from(HOSTILE))
    def run(case: Case[Any], data: st.DataObject, ours: bool, hostile: Any) -> None:
        if ours and case.path_parameters and "customer" in case.path_parameters:
            case.path_parameters["customer"] = CUSTOMER
        if hostile is not None:
            plant(hostile, data, case)
        response = case.call(base_url=server, session=session, timeout=120)
        if not _no_room_now(case, response):
            case.validate_response(response, checks=CHECKS)
        check_envelope(response)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operator_operation_answers_as_documented(operated: str,
                                                        mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{operated}/openapi.json", timeout=30)
    schema.config.generation.update(with_security_parameters=False)
    found = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    ours = [operation for operation in found if operation.path.startswith("/v2/operator/")
            and (operation.method.upper(), operation.path) not in LEFT_OUT]
    assert len(ours) == 24
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {OPERATOR_KEY}"
        for operation in ours:
            inputs = len(operation.query) + len(operation.path_parameters) + len(operation.body)
            if mode is GenerationMode.POSITIVE or inputs:  # a negative case breaks an input
                _fuzz(operation, mode, operated, session)
