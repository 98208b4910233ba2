"""Writing an import: inside ``--out`` only."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.importers.writer import ImportPlan, write_plan


def test_the_writer_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    plan = ImportPlan(project_name="x")
    plan.add("suites", "../../escape.yaml", "x")
    with pytest.raises(ConfigError, match="not a plain relative path"):
        write_plan(plan, tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()
