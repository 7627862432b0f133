"""The two validation passes, both generated from one table of rules (`ccstats.ingest.rules`).

- the **fast pass** runs over every line and yields the normalized event (see
  `ccstats.events`) and one flag, ``ok``: true iff the line breaks no rule;
- the **diagnosis** runs only over the lines the fast pass rejected and lists,
  for each, the problem of every rule it breaks, naming the line and member and
  saying what to write instead: ``line 12: start: timestamp has no UTC offset;
  write 2024-03-01T10:00:00+01:00 or epoch seconds``.

Both read the lines the same way (`ccstats.ingest.reading`) and test the same
condition of each rule, so the fast pass rejects a line iff the diagnosis finds
a problem in it. The one difference is the fast pass's shortcut around a rule
(`Rule.unless`), which only skips a rule where another one is broken as well.
"""

from __future__ import annotations

from dataclasses import fields

from ccstats.ingest.reading import literal, literals, normalized_sql, reading_sql
from ccstats.ingest.rules import Problem, Rule

#: The SQL type of a `Problem`, in which the diagnosis lists them.
PROBLEM_TYPE = "STRUCT(" + ", ".join(f"{f.name} VARCHAR" for f in fields(Problem)) + ")"


def _condition(rule: Rule, fast: bool) -> str:
    """SQL: true where a line of a type `rule` applies to breaks it, as the `fast`
    pass or the diagnosis tests it."""
    if fast and rule.unless is not None:
        return f"(CASE WHEN {rule.unless} THEN false ELSE {rule.breaks} END)"
    return f"({rule.breaks})"


def broken(rule: Rule, fast: bool) -> str:
    """SQL: true where a line breaks `rule` (NULL counts as kept), as the `fast`
    pass or the diagnosis tests it."""
    if rule.types is None:
        return _condition(rule, fast)
    return f"(CASE WHEN s_type IN {literals(rule.types)} THEN {_condition(rule, fast)} END)"


def _any_broken(rules: tuple[Rule, ...]) -> str:
    """SQL: true where a line breaks any of `rules`, as the fast pass tests it.

    The rules of one type are tested together, in one branch of a CASE on the
    line's type: one test of the type per line instead of one per rule.
    """
    types = dict.fromkeys(t for rule in rules if rule.types is not None
                          for t in sorted(rule.types))
    branches = "\n".join(
        f"WHEN {literal(t)} THEN " + " OR ".join(
            _condition(rule, fast=True) for rule in rules
            if rule.types is not None and t in rule.types)
        for t in types)
    common = [_condition(rule, fast=True) for rule in rules if rule.types is None]
    return "\n OR ".join([*common, f"CASE s_type {branches} END"] if types else common)


def fast_sql(rules: tuple[Rule, ...], tolerant: bool) -> str:
    """Normalized columns and ``ok`` of every line (`ccstats.ingest.reading` says
    what `tolerant` means); the lines must have their ``commas`` counted."""
    # (a CASE condition skips the rows already found to break a rule, and tests
    # the rules' conditions on each row only as far as it needs to)
    return f"""
    WITH {reading_sql(tolerant)}
    SELECT line_no, {normalized_sql()},
           CASE WHEN {_any_broken(rules)} THEN false ELSE true END AS ok
    FROM reading
    """


def _struct(member: str, code: str, message: str) -> str:
    """SQL: a `Problem`, its member given as SQL."""
    return f"{{'member': {member}, 'code': {literal(code)}, 'message': {literal(message)}}}"


def _problem(rule: Rule) -> str:
    """SQL: the problem of a line that breaks `rule`."""
    member = "NULL::VARCHAR" if rule.member is None else literal(rule.member)
    own = _struct(member, rule.code, rule.message)
    if not rule.reasons:
        return own
    reasons = " ".join(f"WHEN {reason.when} THEN {_struct(member, reason.code, reason.message)}"
                       for reason in rule.reasons)
    return f"CASE {reasons} ELSE {own} END"


def _problems(rule: Rule) -> str:
    """SQL: the list of problems `rule` reports on a line."""
    if rule.each is not None:
        named = _struct("name", rule.code, rule.message)
        listed = f"list_transform({rule.each}, lambda name: {named})"
    else:
        listed = f"[{_problem(rule)}]"
    return f"CASE WHEN {broken(rule, fast=False)} THEN {listed} ELSE []::{PROBLEM_TYPE}[] END"


def diagnosis_sql(rules: tuple[Rule, ...]) -> str:
    """``problems`` of every line (in rule order), by ``line_no``."""
    alone = " ".join(f"WHEN {broken(rule, fast=False)} THEN [{_problem(rule)}]"
                     for rule in rules if rule.alone)
    listed = "flatten([" + ",\n".join(_problems(rule) for rule in rules if not rule.alone) + "])"
    problems = f"CASE {alone} ELSE {listed} END" if alone else listed
    return f"""
    WITH {reading_sql(tolerant=True)}
    SELECT line_no, {problems} AS problems
    FROM reading
    ORDER BY line_no
    """
