"""What the assertion tests share: a mapper with its own report and checks module, evalkit's
own validation of what it writes, and a project the generated checks run in."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks import Observation, evaluate
from evalkit.config import load_settings
from evalkit.importers.promptfoo.assertions import AssertionMapper, MapContext
from evalkit.importers.promptfoo.checkmodule import PACKAGE, CheckModule
from evalkit.importers.promptfoo.provider_ids import Pins
from evalkit.importers.report import Origin, Report
from evalkit.project.loader import parse_assertions

from ...support import _fresh_generated_modules

__all__ = ["_fresh_generated_modules"]

CONFIG = Path("/project/promptfooconfig.yaml")


class Mapper:
    """An AssertionMapper with its report, for one test."""

    def __init__(
        self, tmp_path: Path, pins: Pins | None = None, templates: dict[str, Any] | None = None
    ):
        self.report = Report()
        self.module = CheckModule(name="promptfoo_test")
        self.pins = pins or Pins()
        self.mapper = AssertionMapper(self.report, self.module, self.pins, templates)
        self.base = tmp_path

    def __call__(self, raw: dict[str, Any], **ctx: Any) -> list[Any]:
        context = MapContext(origin=Origin(CONFIG, 7), base_dir=self.base, **ctx)
        return self.mapper.map(raw, context)

    def checks(self, raw: dict[str, Any], **ctx: Any) -> list[dict[str, Any]]:
        items = self(raw, **ctx)
        assert all(isinstance(i, dict) for i in items), items
        return items


@pytest.fixture
def m(tmp_path: Path) -> Mapper:
    return Mapper(tmp_path)


def load_checks(items: list[dict[str, Any]], tmp_path: Path) -> None:
    """evalkit's own validation of assertions (unknown types and bad args are errors)."""
    settings = load_settings(tmp_path)
    parse_assertions(items, tmp_path / "test_x.py", settings)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path


def install(m: Mapper, project: Path) -> None:
    package = project / PACKAGE
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / f"{m.module.name}.py").write_text(m.module.source("promptfooconfig.yaml"))
    for source, module in m.module.copies.items():
        (package / f"{module}.py").write_text(source.read_text())
    importlib.invalidate_caches()
    for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
        del sys.modules[name]


def verdict(items: list[dict[str, Any]], text: str, project: Path, **variables: Any) -> list[bool]:
    specs = parse_assertions(items, project / "test_x.py", load_settings(project))
    obs = Observation(text=text, vars=variables)
    return [evaluate(spec, obs).passed for spec in specs]
