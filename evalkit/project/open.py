"""From paths on a command line to loaded suites and planned cases: shared by the CLI,
the pytest plugin and the Python API, so all three see a project the same way."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings, activate_root, find_root, load_settings
from ..errors import ConfigError
from .plan import Plan
from .shard import Shard
from .suite import Suite, discover, load_suite


@dataclass
class Project:
    settings: Settings
    suites: list[Suite] = field(default_factory=list)

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
        ``only_defining``, skips that suite."""
        parts: list[tuple[Suite, str | None]] = []
        for suite in self.suites:
            if not suite.has_variant(variant):
                if only_defining:
                    continue
                suite.target(variant)  # raises, listing the suite's variants
            parts.append((suite, variant))
        return Plan(parts, shard=shard, skip=skip)

    def plan_all_variants(self, shard: Shard | None = None, skip: Container[str] = ()) -> Plan:
        """The suites as written, then each under every variant it defines."""
        names = sorted({v for s in self.suites for v in s.variants})
        parts = [(s, v) for v in (None, *names) for s in self.suites if s.has_variant(v)]
        return Plan(parts, shard=shard, skip=skip)


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
