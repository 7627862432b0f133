"""Splitting a JSON array into its elements' texts (ccstats.ingest.json_array): exactly
the elements a JSON parser finds, as written, or a syntax error that a parser finds too."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccstats.ingest.json_array import ArraySyntaxError, array_elements
from ccstats.ingest.lines import BOM

_KEYS = st.text(alphabet='ab"\\,[]{}: \n\u00e9', max_size=6)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | _KEYS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _texts(body: bytes) -> list[str]:
    return array_elements(body, 0).block.table.column("raw").to_pylist()  # type: ignore[no-any-return]


@st.composite
def arrays(draw: st.DrawFn) -> tuple[str, list[Any]]:
    items = draw(st.lists(_VALUES, max_size=6))
    indent = draw(st.sampled_from([None, 0, 2]))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\r\n", " :\t")]))
    ascii_only = draw(st.booleans())
    text = json.dumps(items, indent=indent, separators=separators, ensure_ascii=ascii_only)
    return draw(st.sampled_from(["", " ", "\n\t"])) + text + draw(
        st.sampled_from(["", "\n", " \r\n "])), items


@settings(max_examples=300, deadline=None)
@given(array=arrays())
def test_the_elements_are_those_a_parser_finds_as_written(array: tuple[str, list[Any]]) -> None:
    text, items = array
    body = text.encode()
    found = _texts(body)
    assert [orjson.loads(element) for element in found] == items
    # each element's text is the body's, behind its separator (blanked)
    assert all(element[0] == " " for element in found)
    if found:
        assert text.strip() == "[" + ",".join(element[1:] for element in found) + "]"


@settings(max_examples=500, deadline=None)
@given(array=arrays(), place=st.integers(0, 10**6), change=st.sampled_from(
    ["drop", *'[]{},":\\x ']))
def test_a_broken_array_is_a_syntax_error_here_or_in_an_element(
        array: tuple[str, list[Any]], place: int, change: str) -> None:
    text = array[0]
    if not text.strip().startswith("[") or not text:
        return
    at = place % len(text)
    broken = text[:at] + text[at + 1:] if change == "drop" else text[:at] + change + text[at:]
    if not broken.lstrip().startswith("["):
        return
    body = broken.encode()
    try:
        orjson.loads(body)
        valid = True
    except orjson.JSONDecodeError:
        valid = False
    try:
        found = _texts(body)
    except ArraySyntaxError:
        assert not valid
        return
    parsed = []
    for element in found:
        try:
            parsed.append(orjson.loads(element))
        except orjson.JSONDecodeError:
            assert not valid
            return
    assert valid
    assert parsed == orjson.loads(body)


@pytest.mark.parametrize(("body", "element", "message"), [
    (b"[{}, {}", 2, "unexpected end of data at line 1 column 8"),
    (b"[{},\n {},\n]", 2, "trailing comma is not allowed at line 2 column 4"),
    (b"[{}, , {}]", 2, "expected a JSON value at line 1 column 6"),
    (b'[{"a": "b}]', 1, "unexpected end of data at line 1 column 12"),
    (b"[{}] {}", 1, "unexpected content after document at line 1 column 6"),
    (b"[{}}]", 1, "expected ',' or ']' at line 1 column 4"),
])
def test_a_broken_frame_names_the_element_and_where(body: bytes, element: int,
                                                    message: str) -> None:
    with pytest.raises(ArraySyntaxError) as caught:
        array_elements(body, 0)
    problem = caught.value.problem
    assert (problem.param, problem.code) == (f"element {element}", "error.wrong_format")
    assert message in problem.message


def test_empty_arrays_and_a_byte_order_mark() -> None:
    for body in (b"[]", b" [ \n ] \n", BOM + b"[]"):
        elements = array_elements(body, len(BOM) if body.startswith(BOM) else 0)
        assert (elements.block.table.num_rows, elements.block.line_count) == (0, 0)
    assert _texts(b'[{"a": "\\\\"}, "\\"]\\\\", [1, {"b": ","}]]') == [
        ' {"a": "\\\\"}', '  "\\"]\\\\"', '  [1, {"b": ","}]']
