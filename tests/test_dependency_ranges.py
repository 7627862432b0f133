"""pyproject.toml declares compatible ranges, so that ccstats installs beside other
packages; constraints.txt pins the exact releases that `make install` and CI install."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins() -> dict[NormalizedName, Version]:
    """constraints.txt: every line is NAME==VERSION."""
    pinned: dict[NormalizedName, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, separator, version = line.partition("==")
        assert separator and name and version, f"constraints.txt: {line!r} is no exact pin"
        pinned[canonicalize_name(name)] = Version(version)
    return pinned


def declared() -> list[Requirement]:
    """The dependencies and every extra's."""
    project = CONFIG["project"]
    extras = [text for extra in project["optional-dependencies"].values() for text in extra]
    return [Requirement(text) for text in [*project["dependencies"], *extras]]


def test_every_requirement_is_a_range_that_admits_its_pin() -> None:
    pinned = pins()
    for requirement in declared():
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", "~="} and not operators & {"==", "==="}, requirement
        pin = pinned.get(canonicalize_name(requirement.name))
        assert pin is not None, f"{requirement.name} is not in constraints.txt"
        assert requirement.specifier.contains(pin, prereleases=True), (requirement, pin)


def test_the_pinned_build_backend_builds_without_isolation() -> None:
    """`make wheel` builds with the venv's setuptools, which `make install` pins."""
    pinned = pins()
    dev = {canonicalize_name(Requirement(text).name) for text in
           CONFIG["project"]["optional-dependencies"]["dev"]}
    for text in CONFIG["build-system"]["requires"]:
        requirement = Requirement(text)
        assert canonicalize_name(requirement.name) in dev, requirement
        assert requirement.specifier.contains(pinned[canonicalize_name(requirement.name)])
