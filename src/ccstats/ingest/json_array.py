"""A JSON array of events -> its elements as numbered texts, exactly as written.

The elements are found without parsing them, with numpy over the bytes: the
quotes that open or close a string (those not escaped by an odd run of
backslashes) and, outside strings, the brackets, braces and commas; the commas
at depth one separate the elements. Each element is then validated as a line of
NDJSON is, by the same SQL, so that both forms of a batch read every member the
same way (a member given twice stays twice, where a JSON parser keeps one).

What the separators leave for the elements is checked by that validation as
JSON. A broken frame (an unterminated string, an empty element, no closing
bracket, anything after it) is an `ArraySyntaxError`; a syntax error is
described as a JSON parser does, naming the element it is in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import orjson

from ccstats.events import EventError
from ccstats.ingest.lines import LineBlock, Offsets, blank_spans, numbered_strings

#: What the elements of an array are numbered as, in messages.
UNIT = "element"

_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")
_SPACE = ord(" ")
_STEP = np.zeros(256, dtype=np.int64)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1


class ArraySyntaxError(ValueError):
    """The body is no JSON array: `problem` names the element and the syntax error."""

    def __init__(self, problem: EventError) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ArrayElements:
    """The elements of one JSON array body, as a `LineBlock` numbered from 1."""

    block: LineBlock
    body: bytes
    """The body as it came, its array starting at byte `start`."""
    start: int
    text: npt.NDArray[np.uint8]
    """The body with its separators blanked: the block's strings view it."""
    starts: Offsets
    """Where the text of each element begins (at its blanked separator), and the end."""

    def described(self, problems: list[EventError], not_json: str) -> list[EventError]:
        """`problems`, where one says `not_json` (the validation's word for an element
        that is no JSON), with the syntax error spelled out.

        The body's first syntax error is the one a JSON parser reports (``expected ','
        or ']'`` where elements lack a comma between them); the elements after it get
        the error of their own text.
        """
        if not any(p.member is None and p.message == not_json for p in problems):
            return problems
        body = self.body
        first = _parse_error(body[self.start:])
        first_at = len(body) if first is None else _offset_of(first, body, self.start)
        found: list[EventError] = []
        for problem in problems:
            start, end = self.starts[problem.line - 1:problem.line + 1].tolist()
            if problem.member is not None or problem.message != not_json:
                found.append(problem)
            elif first is not None and start <= first_at < end:
                found.append(replace(problem, message=_described(first, body, self.start)))
            elif (error := _parse_error(self.text[start:end].tobytes())) is not None:
                found.append(replace(problem, message=_described(error, body, start)))
            else:
                found.append(problem)
        return found


def array_elements(body: bytes, start: int) -> ArrayElements:
    """The elements of the JSON array that is `body` from byte `start` on.

    `body[start:]` begins with ``[`` after nothing but whitespace. Raises
    `ArraySyntaxError` if the brackets, strings and commas do not frame elements.
    """
    data = np.frombuffer(body, dtype=np.uint8)
    at = _tokens(data)
    kinds = data[at]
    quotes = _string_quotes(at, kinds)
    outside = (np.cumsum(quotes) - quotes) % 2 == 0
    frame = np.flatnonzero(outside & (kinds != _QUOTE) & (kinds != _BACKSLASH))
    positions, kinds = at[frame], kinds[frame]
    depth = np.cumsum(_STEP[kinds])
    commas = (kinds == _COMMA) & (depth == 1)
    closed = np.flatnonzero(depth == 0)
    if np.count_nonzero(quotes) % 2 or not len(closed) or kinds[closed[0]] != ord("]"):
        raise _broken(body, start, positions[commas])
    end = int(closed[0])
    after = int(positions[end]) + 1
    if after < len(data) and not blank_spans(data, np.array([after]), np.array([len(data)]))[0]:
        raise _broken(body, start, positions[commas])
    chosen = np.concatenate(([0], np.flatnonzero(commas[:end]), [end]))
    separators = positions[chosen].astype(np.int64)
    # (an element with a token between its separators is not empty; others may be)
    bare = np.flatnonzero(np.diff(frame[chosen]) == 1)
    empty = np.zeros(len(separators) - 1, dtype=bool)
    empty[bare] = blank_spans(data, separators[bare] + 1, separators[bare + 1])
    if len(separators) == 2 and empty[0]:  # []
        separators = separators[:1]
    elif empty.any():
        raise _broken(body, start, positions[commas])
    text = data.copy()
    text[separators] = _SPACE
    count = len(separators) - 1
    block = numbered_strings(text.data, separators, np.arange(1, count + 1, dtype=np.int64),
                             1, count, UNIT)
    return ArrayElements(block, body, start, text, separators)


def _tokens(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """Where the bytes ``[ ] { } , " \\`` are (compared, which is faster than a table)."""
    folded = data | 0x20  # [ ] as { }
    found = (data == _QUOTE) | (data == _BACKSLASH) | (data == _COMMA)
    found |= (folded == ord("{")) | (folded == ord("}"))
    return np.flatnonzero(found)


def _string_quotes(at: npt.NDArray[np.intp], kinds: npt.NDArray[np.uint8]
                   ) -> npt.NDArray[np.bool_]:
    """Which of the tokens at `at` are quotes that open or close a string: all quotes
    but those after an odd run of backslashes."""
    quotes: npt.NDArray[np.bool_] = kinds == _QUOTE
    slashes = np.flatnonzero(kinds == _BACKSLASH)
    if not len(slashes):
        return quotes
    # the length of the run of adjacent backslashes that ends at each backslash token
    joined = np.zeros(len(slashes), dtype=bool)
    joined[1:] = at[slashes[1:]] == at[slashes[:-1]] + 1
    first = slashes[np.maximum.accumulate(np.where(joined, 0, np.arange(len(slashes))))]
    run = np.zeros(len(at), dtype=np.int64)
    run[slashes] = at[slashes] - at[first] + 1
    follow = np.flatnonzero(quotes)
    follow = follow[follow > 0]
    escaped = follow[(at[follow - 1] == at[follow] - 1) & (run[follow - 1] % 2 == 1)]
    quotes[escaped] = False
    return quotes


def _broken(body: bytes, start: int, commas: npt.NDArray[np.intp]) -> ArraySyntaxError:
    """The syntax error of a body whose frame is broken, in the element it is in.

    Up to the error, the body is the start of a valid JSON text, so the separating
    `commas` found before it are right: the element is one more than their number.
    """
    error = _parse_error(body[start:])
    if error is None:  # (the frame is broken only where the text is)
        message, offset = "not a JSON array of events", len(body)
    else:
        message, offset = _described(error, body, start), _offset_of(error, body, start)
    element = 1 + int(np.count_nonzero(commas < offset))
    return ArraySyntaxError(EventError(element, None, "error.wrong_format", message, UNIT))


def _parse_error(text: bytes) -> orjson.JSONDecodeError | None:
    """Why `text` is no JSON, as a JSON parser says; None if it is."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return error
    return None


def _offset_of(error: orjson.JSONDecodeError, body: bytes, start: int) -> int:
    """The byte of `body` where `error`, of the text from byte `start` on, was found."""
    return start + len(body[start:].decode("utf-8", "replace")[:error.pos].encode("utf-8"))


def _described(error: orjson.JSONDecodeError, body: bytes, start: int) -> str:
    """`error` of a text that begins at byte `start` of `body`, with the line and
    column (in characters) where it is in the body."""
    line_start = body.rfind(b"\n", 0, start) + 1
    column = len(body[line_start:start].decode("utf-8", "replace")) + 1
    line = body.count(b"\n", 0, start) + error.lineno
    if error.lineno == 1:
        column += error.colno - 1
    else:
        column = error.colno
    return (f"not valid JSON: {error.msg} at line {line} column {column}; "
            "send a JSON array of event objects")
