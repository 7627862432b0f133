"""``docs/analysts.md`` is what ``scripts/analysts_guide.py`` writes now (``make guide``
regenerates it): the guide's code, tables and pictures stay those of the current code
and demo data."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import ccstats

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The script and the server it starts import the code under test.
ENV = {**os.environ, "PYTHONPATH": str(Path(ccstats.__file__).parents[1])}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: Path) -> tuple[int, int]:
    """Width and height from the PNG's header chunk."""
    head = png.read_bytes()[:24]
    assert head.startswith(PNG_SIGNATURE), f"{png} is not a PNG file"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_guide_is_what_the_script_writes_now(tmp_path: Path) -> None:
    written = subprocess.run([sys.executable, str(ROOT / "scripts" / "analysts_guide.py"),
                              "--out", str(tmp_path)],
                             capture_output=True, text=True, env=ENV, timeout=300, check=False)
    assert written.returncode == 0, written.stderr
    fresh = (tmp_path / "analysts.md").read_text()
    assert (DOCS / "analysts.md").read_text() == fresh, (
        "docs/analysts.md is out of date: run `make guide` and commit what it writes")
    pictures = re.findall(r"!\[[^\]]*\]\((analysts/[^)]+\.png)\)", fresh)
    assert len(pictures) == 3
    for picture in pictures:
        assert (DOCS / picture).is_file(), f"docs/{picture} is missing: run `make guide`"
        assert _size(DOCS / picture) == _size(tmp_path / picture)
