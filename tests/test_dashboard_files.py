"""The dashboard's files: installed with the package, self-contained, vendored as documented."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from ccstats import dashboard

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ccstats"
STATIC = dashboard.STATIC
VENDOR = STATIC / "vendor"


def static_files() -> list[Path]:
    return sorted(path for path in STATIC.rglob("*") if path.is_file())


def test_every_static_file_is_package_data() -> None:
    """setuptools installs only files that the package-data globs of pyproject.toml match."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["ccstats"]
    matched = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    assert [path for path in static_files() if path not in matched] == []


def test_our_files_name_no_external_url() -> None:
    ours = [path for path in static_files() if VENDOR not in path.parents]
    assert len(ours) > 5
    for path in ours:
        assert not re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()), path


def test_the_page_and_its_modules_refer_to_files_that_exist() -> None:
    page = (STATIC / "index.html").read_text()
    referred = re.findall(r'(?:src|href)="/dashboard/([^"]+)"', page)
    assert "js/main.js" in referred and "vendor/chart.umd.min.js" in referred
    for name in referred:
        assert (STATIC / name).is_file(), name
    for module in (STATIC / "js").glob("*.js"):
        for name in re.findall(r'from "\./([^"]+)"', module.read_text()):
            assert (module.parent / name).is_file(), (module.name, name)


def test_the_vendored_chart_library_is_the_documented_release() -> None:
    documented = (VENDOR / "README.md").read_text()
    digest = hashlib.sha256((VENDOR / "chart.umd.min.js").read_bytes()).hexdigest()
    assert digest in documented
    assert (VENDOR / "chart.umd.min.js").read_text().startswith("/*!\n * Chart.js v4.6.1")
    assert "MIT" in (VENDOR / "chart.js.LICENSE.md").read_text()
