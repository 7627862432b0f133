"""Event types and sub-types as the small integers the generator's columns hold.

A type's code is its index in `ccstats.events.EVENT_TYPES`, a sub-type's code its
index among the type's values in `ccstats.events.SUBTYPES`; rendering turns them back
into those names. A type without sub-types (``chat``) has the one code 0.
"""

from __future__ import annotations

from ccstats.events import EVENT_TYPES, SUBTYPES


def type_code(name: str) -> int:
    return EVENT_TYPES.index(name)


def subtype_names(type_name: str) -> tuple[str, ...]:
    """The sub-type values of a type, in code order (none for ``chat``)."""
    spec = SUBTYPES[type_name]
    return () if spec is None else spec[1]


def subtype_code(type_name: str, value: str) -> int:
    return subtype_names(type_name).index(value)


def subtype_weights(type_name: str, weights: dict[str, float]) -> tuple[float, ...]:
    """Relative weights by sub-type code for `arrays.pick`; unnamed sub-types weigh 0."""
    names = subtype_names(type_name)
    if unknown := set(weights) - set(names):
        raise ValueError(f"{type_name} has no sub-type {sorted(unknown)}")
    return tuple(weights.get(name, 0.0) for name in names) if names else (1.0,)


USERSTATE = type_code("userstate")
CALL = type_code("call")
DISPOSITION = type_code("disposition")
EMAIL = type_code("email")
TICKET = type_code("ticket")
CHAT = type_code("chat")

AVAILABLE = subtype_code("userstate", "available")
IN_CALL = subtype_code("userstate", "call")
AFTERWORK = subtype_code("userstate", "afterwork")
PREWORK = subtype_code("userstate", "prework")
RINGING = subtype_code("userstate", "ringing")
WAITING_FOR_CALL = subtype_code("userstate", "waitingForCall")
WAITING_FOR_RECALL = subtype_code("userstate", "waitingForRecall")
BREAK = subtype_code("userstate", "break")
UNAVAILABLE = subtype_code("userstate", "unavailable")
CALL_IN = subtype_code("call", "in")
CALL_OUT = subtype_code("call", "out")
