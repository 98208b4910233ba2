"""Writing an import: inside ``--out`` only."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.importers.writer import ImportPlan, slug, write_plan
from evalkit.prompts import PromptRef


def test_the_writer_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    plan = ImportPlan(project_name="x")
    plan.add("suites", "../../escape.yaml", "x")
    with pytest.raises(ConfigError, match="not a plain relative path"):
        write_plan(plan, tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()


def test_a_new_project_gets_a_pyproject_and_a_lock(tmp_path: Path) -> None:
    plan = ImportPlan(project_name="demo")
    plan.add("prompts", "demo/v1.j2", "Hi {{ name }}\n")
    plan.prompts.append(PromptRef("demo", "v1"))
    plan.add("suites", "demo.yaml", "suite: demo\n")
    plan.add("root", "schemas/__init__.py", "", if_missing=True)
    written = write_plan(plan, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in written}
    assert names == {
        "pyproject.toml",
        "prompts/demo/v1.j2",
        "suites/demo.yaml",
        "schemas/__init__.py",
        "prompts/evalkit.lock",
    }
    assert 'name = "demo"' in (tmp_path / "out/pyproject.toml").read_text()
    assert "demo@v1 sha256:" in (tmp_path / "out/prompts/evalkit.lock").read_text()


def test_package_markers_may_exist_other_files_may_not(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "schemas").mkdir(parents=True)
    (out / "schemas/__init__.py").write_text("# mine\n")
    plan = ImportPlan(project_name="x")
    plan.add("root", "schemas/__init__.py", "", if_missing=True)
    plan.add("root", "schemas/x.py", "X = 1\n")
    write_plan(plan, out)
    assert (out / "schemas/__init__.py").read_text() == "# mine\n"  # left as it was
    with pytest.raises(ConfigError, match=r"the import would overwrite .*schemas/x\.py"):
        write_plan(plan, out)


def test_a_project_whose_folders_point_outside_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "pyproject.toml").write_text('[tool.evalkit]\nsuites = "../elsewhere"\n')
    plan = ImportPlan(project_name="x")
    plan.add("suites", "x.yaml", "suite: x\n")
    with pytest.raises(ConfigError, match="outside the output folder"):
        write_plan(plan, out)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(
    ("text", "slugged"),
    [
        ("Support Bot, v2!", "support-bot-v2"),
        ("../../etc/passwd", "etc-passwd"),
        ("Ünïcode", "n-code"),
        ("!!!", "fallback"),
        ("x" * 80, "x" * 60),
    ],
)
def test_names_from_a_config_are_slugged(text: str, slugged: str) -> None:
    assert slug(text, "fallback") == slugged
