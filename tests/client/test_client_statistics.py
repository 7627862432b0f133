"""`Client.userbased`, `inbound` and `kpis` against a real server: every frame equal, cell by
cell, to the csv answer of the same request; the dtypes; wide frames; refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from ccstats.client import ApiFailure, Client, UnknownOption
from ccstats.client.frames import read_csv
from client.cells import csv_cells, frame_cells, typed_equal
from client.conftest import CUSTOMER, PASSWORD

JUNE = (dt.date(2020, 6, 1), dt.date(2020, 6, 30))
MAY_FIRST = (dt.date(2024, 5, 1), dt.date(2024, 5, 1))
SEED_FIELDS = ["userstateAvailable", "dispositionStatusRecall", "dispositionReachFailed",
               "userstateAfterwork", "userstateCall", "callOut"]

#: (method, positional arguments after the dates, options, the csv request's options)
REQUESTS: list[tuple[str, tuple[Any, ...], dict[str, Any], dict[str, str]]] = [
    ("userbased", (["project", "user", "date", "time"],), {"projects": [2], "users": [17]},
     {"dimensions": "project,user,date,time", "projects": "2", "users": "17"}),
    ("userbased", ("user,date",), {"fields": SEED_FIELDS, "hide_system_users": True},
     {"dimensions": "user,date", "fields": ",".join(SEED_FIELDS),
      "hide_system_users": "true"}),
    ("userbased", (["time"],), {"interval": 15, "timezone": "UTC"},
     {"dimensions": "time", "interval": "15", "timezone": "UTC"}),
    ("inbound", (["queue", "date", "time"],), {"manual_sla": 40, "interval": 15},
     {"dimensions": "queue,date,time", "manual_sla": "40", "interval": "15"}),
    ("kpis", (["user", "date"], ["aht", "occupancy", "callInAnswerRate"]), {},
     {"dimensions": "user,date", "kpis": "aht,occupancy,callInAnswerRate"}),
    ("kpis", (["queue"], "serviceLevel,asa,abandonmentRate"), {"queues": [5, 6]},
     {"dimensions": "queue", "kpis": "serviceLevel,asa,abandonmentRate", "queues": "5,6"}),
]


def _period(method: str, arguments: tuple[Any, ...]) -> tuple[dt.date, dt.date]:
    return MAY_FIRST if method == "inbound" or "queue" in str(arguments) else JUNE


def _csv(raw: httpx.Client, method: str, period: tuple[dt.date, dt.date],
         options: dict[str, str]) -> str:
    answer = raw.get(f"/v2/statistics/{method}", params={
        "from": period[0].strftime("%Y%m%d"), "to": period[1].strftime("%Y%m%d"),
        "of": "csv", **options})
    assert answer.status_code == 200, answer.text
    return answer.text


def _ask(api: Client, method: str, arguments: tuple[Any, ...], options: dict[str, Any],
         **how: Any) -> Any:
    return getattr(api, method)(*_period(method, arguments), *arguments, **options, **how)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize(("method", "arguments", "options", "query"), REQUESTS)
def test_the_long_frame_is_the_csv_answer_cell_by_cell(
        api: Client, raw: httpx.Client, kind: str, method: str, arguments: tuple[Any, ...],
        options: dict[str, Any], query: dict[str, str]) -> None:
    header, expected = csv_cells(_csv(raw, method, _period(method, arguments), query))
    columns, found = frame_cells(_ask(api, method, arguments, options, frame=kind))
    assert expected, "the request must have records for the comparison to mean something"
    assert columns == header
    assert typed_equal(found, expected)


@pytest.mark.parametrize(("method", "arguments", "options", "query"), REQUESTS)
def test_the_wide_frame_holds_each_record_once_with_every_field(
        api: Client, method: str, arguments: tuple[Any, ...], options: dict[str, Any],
        query: dict[str, str]) -> None:
    long = _ask(api, method, arguments, options)
    wide = _ask(api, method, arguments, options, wide=True)
    name = "kpi" if method == "kpis" else "field"
    measures = ["value", "numerator", "denominator"] if method == "kpis" else ["count", "sum"]
    keys = list(long.columns[:list(long.columns).index("level") + 1])
    names = list(dict.fromkeys(long[name]))
    assert list(wide.columns) == keys + [f"{n}.{m}" for n in names for m in measures]
    records = long[keys].drop_duplicates()
    assert len(wide) == len(records)
    assert wide[keys].reset_index(drop=True).equals(records.reset_index(drop=True))
    by_record = {tuple(row[:len(keys)]): row for row in wide.astype(object).itertuples(
        index=False, name=None)}
    cells = 0
    for row in long.astype(object).itertuples(index=False, name=None):
        record = by_record[tuple(row[:len(keys)])]
        for offset, measure in enumerate(measures):
            found = record[list(wide.columns).index(f"{row[len(keys)]}.{measure}")]
            value = row[len(keys) + 1 + offset]
            assert (found is pd.NA and value is pd.NA) or found == value
            cells += 1
    present = sum(wide[column].notna().sum() for column in wide.columns[len(keys):])
    assert present == long[measures].notna().sum().sum() <= cells


@pytest.mark.parametrize(("method", "arguments", "options", "query"), REQUESTS)
def test_pandas_and_polars_frames_hold_the_same(
        api: Client, method: str, arguments: tuple[Any, ...], options: dict[str, Any],
        query: dict[str, str]) -> None:
    for wide in (False, True):
        pandas_frame = _ask(api, method, arguments, options, wide=wide)
        polars_frame = _ask(api, method, arguments, options, wide=wide, frame="polars")
        assert frame_cells(pandas_frame) == frame_cells(polars_frame)


def test_pandas_dtypes(api: Client) -> None:
    long = api.userbased(*JUNE, ["project", "user", "date", "time"])
    assert dict(long.dtypes.astype(str)) == {
        "date": "datetime64[ms]", "time": "time32[s][pyarrow]", "projectId": "Int64",
        "userId": "Int64", "level": "Int64", "field": "str", "count": "Int64",
        "sum": "Int64"}
    assert long["time"].iloc[0] == dt.time(15, 0)
    assert long["date"].iloc[0] == pd.Timestamp("2020-06-15")
    assert long["count"].isna().any() and long["sum"].isna().any()
    kpis = api.kpis(*JUNE, ["user", "date"], ["callInAnswerRate", "aht"])
    assert dict(kpis.dtypes.astype(str)) == {
        "date": "datetime64[ms]", "userId": "Int64", "level": "Int64", "kpi": "str",
        "value": "Float64", "numerator": "Int64", "denominator": "Int64"}
    rate = kpis[kpis["kpi"] == "callInAnswerRate"]
    assert rate["value"].isna().all() and (rate["denominator"] == 0).all()
    inbound = api.inbound(*MAY_FIRST, ["queue"], wide=True)
    assert inbound.dtypes["queueId"] == "Int64"
    assert inbound.dtypes["answeredWithinSla.sum"] == "Int64"


def test_polars_dtypes(api: Client) -> None:
    long = api.userbased(*JUNE, ["project", "user", "date", "time"], frame="polars")
    assert long.schema == pl.Schema({
        "date": pl.Date, "time": pl.Time, "projectId": pl.Int64, "userId": pl.Int64,
        "level": pl.Int64, "field": pl.String, "count": pl.Int64, "sum": pl.Int64})
    assert long["count"].null_count() > 0
    kpis = api.kpis(*JUNE, "user", ["aht", "callInAnswerRate"], frame="polars")
    aht, rate = kpis.rows(named=True)
    assert kpis.schema["value"] == pl.Float64 and rate["value"] is None
    assert aht["value"] == round(aht["numerator"] / aht["denominator"], 4) > 0


def test_an_answer_without_records_keeps_its_columns_and_dtypes(api: Client) -> None:
    empty = api.userbased(dt.date(2019, 1, 1), dt.date(2019, 1, 2), "date,time,user")
    full = api.userbased(*JUNE, "date,time,user")
    assert len(empty) == 0 and empty.dtypes.equals(full.dtypes)
    wide = api.kpis(dt.date(2019, 1, 1), dt.date(2019, 1, 2), "user", "aht", wide=True,
                    frame="polars")
    assert wide.columns == ["userId", "level"] and wide.height == 0


def test_the_inbound_figures_of_the_worked_example(api: Client) -> None:
    found = api.kpis(*MAY_FIRST, "queue", ["serviceLevel", "asa", "abandonmentRate"],
                     wide=True, manual_sla=40)
    assert found["queueId"].tolist() == [5, 6]
    assert found["serviceLevel.value"].tolist() == [0.6, 1.0]
    assert found["asa.value"].tolist() == [25.0, 30.0]
    assert found["abandonmentRate.numerator"].tolist() == [2, 0]


def test_the_body_is_read_as_it_arrives_in_any_pieces(raw: httpx.Client) -> None:
    text = raw.get("/v2/statistics/userbased", params={
        "from": "20200601", "to": "20200630", "dimensions": "project,user,date,time",
        "of": "csv"}).content
    whole = read_csv(iter([text]))
    pieces = read_csv(text[start:start + 7] for start in range(0, len(text), 7))
    assert whole.num_rows == text.count(b"\r\n") - 1 > 0
    assert pieces.equals(whole) and pieces.schema.field("time").type == pa.time32("s")


def test_a_refusal_carries_the_api_errors(api: Client, raw: httpx.Client) -> None:
    query = {"from": "20200601", "to": "20200530", "dimensions": "user",
             "fields": "noSuchField"}
    envelope = raw.get("/v2/statistics/userbased", params=query).json()
    with pytest.raises(ApiFailure) as refused:
        api.userbased(dt.date(2020, 6, 1), dt.date(2020, 5, 30), "user",
                      fields=["noSuchField"])
    assert refused.value.status == 417
    assert [e.as_dict() for e in refused.value.errors] == envelope["errors"]
    first = envelope["errors"][0]
    assert (refused.value.code, refused.value.message, refused.value.param) == (
        first["code"], first["message"], first["param"])
    assert first["message"] in str(refused.value)


def test_a_wrong_key_is_a_401(server: str) -> None:
    with Client(server, CUSTOMER, "wrong-" + PASSWORD) as stranger, \
            pytest.raises(ApiFailure) as refused:
        stranger.userbased(*JUNE, "user")
    assert (refused.value.status, refused.value.code) == (401, "error.unauthorized")


@pytest.mark.parametrize(("call", "named"), [
    (lambda api: api.userbased(*JUNE, "user", queues=[5]), "queues"),
    (lambda api: api.inbound(*JUNE, "queue", users=[17]), "users"),
    (lambda api: api.kpis(*JUNE, "user", "aht", fields=["callOut"]), "fields"),
    (lambda api: api.userbased(*JUNE, "user", hide_sytem_users=True), "hide_sytem_users"),
    (lambda api: api.userbased(*JUNE, "user", of="json"), "of"),
    (lambda api: api.userbased(dt.datetime(2020, 6, 1), JUNE[1], "user"), "start"),
    (lambda api: api.userbased(*JUNE, "user", frame="excel"), "frame"),
    (lambda api: api.userbased(*JUNE, "user", projects=[2.5]), "projects"),
    (lambda api: api.onlineusers(manual_sla=20), "manual_sla"),
    (lambda api: api.stream(fields="callOut"), "fields"),
])
def test_an_unknown_option_is_refused_before_anything_is_sent(call: Any, named: str) -> None:
    with Client("http://127.0.0.1:9", CUSTOMER, PASSWORD) as nowhere, \
            pytest.raises(UnknownOption, match=named):
        call(nowhere)
