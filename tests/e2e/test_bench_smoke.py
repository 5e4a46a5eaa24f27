"""The benchmark's catalog generator writes a catalog openbid loads, of the size asked for."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from openbid.catalog.load import load_catalog

GROW_CATALOG = Path(__file__).resolve().parents[2] / "bench" / "grow_catalog.py"

pytestmark = pytest.mark.e2e


def test_grow_catalog_to_1000_line_items(tmp_path: Path) -> None:
    out = tmp_path / "catalog.yaml"
    done = subprocess.run(
        [sys.executable, str(GROW_CATALOG), "--line-items", "1000", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    catalog = load_catalog(out)  # parses and validates, raising CatalogError otherwise
    assert len(catalog.line_items) == 1000
    assert len({item.id for item in catalog.line_items}) == 1000
    demo_ids = {item.id for item in load_catalog().line_items}
    assert demo_ids <= {item.id for item in catalog.line_items}
    eligible = re.search(r"(\d+) \(([\d.]+)%\) eligible", done.stdout)
    assert eligible is not None, done.stdout
    assert 5 <= float(eligible[2]) <= 20, done.stdout  # a realistic share matches the request
