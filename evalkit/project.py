"""From paths on a command line to loaded suites and planned cases: shared by the CLI,
the pytest plugin and the Python API, so all three see a project the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings, activate_root, find_root, load_settings
from .engine.run import PlannedCase, plan
from .errors import ConfigError
from .suite import Suite, discover, load_suite


@dataclass
class Project:
    settings: Settings
    suites: list[Suite] = field(default_factory=list)

    def thresholds(self) -> dict[str, float]:
        return {s.name: s.threshold for s in self.suites}

    def plan_some(self, variant: str | None) -> list[PlannedCase]:
        """Like :meth:`plan`, but a named variant runs only in the suites that define it."""
        if variant is None or variant == "base" or "=" in variant:
            return self.plan(variant)
        return [
            item
            for suite in self.suites
            if variant in suite.variants
            for item in plan(suite, variant)
        ]

    def plan(self, variant: str | None = None) -> list[PlannedCase]:
        planned: list[PlannedCase] = []
        for suite in self.suites:
            if (
                variant is not None
                and variant != "base"
                and "=" not in variant
                and variant not in suite.variants
            ):
                known = ", ".join(suite.variants) or "none defined"
                raise ConfigError(
                    f"suite {suite.name!r} has no variant {variant!r} (variants: {known})",
                    suite.path,
                )
            planned += plan(suite, variant)
        return planned


def open_project(
    paths: Sequence[str | Path] | None = None, overrides: dict[str, Any] | None = None
) -> Project:
    """Settings from the project root of the first path (else the cwd), then every suite."""
    targets = [Path(p) for p in paths or []]
    root = find_root(targets[0]) if targets else find_root(Path.cwd())
    settings = load_settings(root, overrides)
    activate_root(settings.root)
    files = discover(targets, settings)
    if not files:
        where = ", ".join(map(str, targets)) or str(settings.suites_dir)
        raise ConfigError(f"no suite files found in {where}")
    suites = [load_suite(path, settings) for path in files]
    names: dict[str, Path] = {}
    for suite in suites:
        if suite.name in names:
            raise ConfigError(
                f"suite name {suite.name!r} is also used by {names[suite.name]}", suite.path, 1
            )
        names[suite.name] = suite.path
    return Project(settings, suites)
