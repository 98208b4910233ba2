"""The one way any front opens a project: from paths to settings, loaded suites and plans.

The CLI opens every suite under the paths it was given at once (:func:`open_project`);
pytest opens the project at the first suite file it collects (:meth:`Project.at`) and adds
suites one file at a time (:meth:`Project.add`). Both see the same settings (the root's
``pyproject.toml``, the environment, the flags), the same suite-name rule and the same plans.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings, activate_root, find_root, load_settings
from ..errors import ConfigError
from .discover import discover, is_suite_file
from .loader import load_suite
from .plan import Plan, PlannedCase, plan
from .recordings import app_recordings
from .shard import Shard
from .suite import Suite


@dataclass
class Project:
    settings: Settings
    suites: list[Suite] = field(default_factory=list)

    @classmethod
    def at(cls, path: Path, overrides: dict[str, Any] | None = None) -> Project:
        """The project whose root holds ``path`` (its nearest pyproject.toml), with no suite
        loaded yet; its root goes on sys.path so schemas and checks import from it."""
        settings = load_settings(find_root(path), overrides)
        activate_root(settings.root)
        return cls(settings)

    def add(self, path: Path) -> Suite:
        """Load one suite file; two suites of one name are an error (their recordings and
        results would mix)."""
        suite = load_suite(path, self.settings)
        for other in self.suites:
            if other.name == suite.name and other.path != suite.path:
                raise ConfigError(
                    f"suite name {suite.name!r} is also used by {other.path}", suite.path, 1
                )
        self.suites.append(suite)
        return suite

    def plan(
        self,
        variant: str | None = None,
        *,
        only_defining: bool = False,
        shard: Shard | None = None,
        skip: Container[str] = (),
    ) -> Plan:
        """Every case under ``variant`` (only ``shard``'s share when given, without the item
        ids in ``skip``). A named variant a suite does not define is an error, or, with
        ``only_defining``, skips that suite (:meth:`lacking` names them); a variant that no
        suite defines stays an error."""
        parts: list[tuple[Suite, str | None]] = []
        for suite in self.suites:
            if not suite.has_variant(variant):
                if only_defining:
                    continue
                suite.target(variant)  # raises, listing the suite's variants
            parts.append((suite, variant))
        if not parts and self.suites:
            defined = "; ".join(f"{s.name}: {', '.join(s.variants) or 'none'}" for s in self.suites)
            raise ConfigError(f"no suite defines variant {variant!r} (variants: {defined})")
        return Plan(parts, shard=shard, skip=skip)

    def lacking(self, variant: str | None) -> list[Suite]:
        """The suites that do not define the named ``variant`` (a run of it skips them)."""
        return [s for s in self.suites if not s.has_variant(variant)]

    def plan_all_variants(self, shard: Shard | None = None, skip: Container[str] = ()) -> Plan:
        """The suites as written, then each under every variant it defines."""
        names = sorted({v for s in self.suites for v in s.variants})
        parts = [(s, v) for v in (None, *names) for s in self.suites if s.has_variant(v)]
        return Plan(parts, shard=shard, skip=skip)

    @staticmethod
    def plan_suite(
        suite: Suite, variant: str | None = None, shard: Shard | None = None
    ) -> list[PlannedCase]:
        """One suite's cases under ``variant`` (pytest collects them as items)."""
        return plan(suite, variant, shard)


def open_project(
    paths: Sequence[str | Path] | None = None, overrides: dict[str, Any] | None = None
) -> Project:
    """Settings from the project root of the first path (else the cwd), then every suite."""
    targets = [Path(p) for p in paths or []]
    project = Project.at(targets[0] if targets else Path.cwd(), overrides)
    if not targets and _tests_only(project.settings):
        return project  # a project of application tests only (the evalkit_openai fixture)
    files = discover(targets, project.settings)
    if not files:
        where = ", ".join(map(str, targets)) or str(project.settings.suites_dir)
        raise ConfigError(f"no suite files found in {where}")
    for path in files:
        project.add(path)
    return project


def _tests_only(settings: Settings) -> bool:
    """No suite folder, or none in it, but the evalkit_openai fixture's recordings."""
    suites = settings.suites_dir
    if suites.is_dir() and any(is_suite_file(p) for p in suites.rglob("*.y*ml")):
        return False
    return bool(app_recordings(settings.snapshots_dir / "recordings"))
