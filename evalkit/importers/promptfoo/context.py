"""State shared by the parts of a promptfoo import, and the base class of those parts.

An import reads prompts, providers and tests, then builds suites; each part is its own
module, and all of them report into one :class:`~..report.Report`, name generated checks in
one :class:`~.checkmodule.CheckModule`, and share what a prompt translation found (variables
parsed with ``| load``) with the suites that must fill them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..report import Origin, Report
from ..writer import slug
from .assertions import AssertionMapper
from .checkmodule import CheckModule
from .provider_ids import Pins


@dataclass
class ImportContext:
    config: Path
    pins: Pins
    report: Report = field(default_factory=Report)
    project: str = "imported"  # slug: the prompt's, the checks module's and the suites' name
    custom_filters: frozenset[str] = frozenset()  # nunjucksFilters names
    loaded: dict[str, str] = field(default_factory=dict)  # var → var holding JSON.parse(var)
    schemas: dict[str, str] = field(default_factory=dict)  # schema module → source
    default_origin: Origin | None = None  # where defaultTest.options is
    mapper: AssertionMapper | None = None
    checks: CheckModule = field(default_factory=lambda: CheckModule(name="promptfoo_imported"))

    @classmethod
    def for_config(cls, config: Path, pins: Pins) -> ImportContext:
        path = config.resolve()
        stem = path.stem if path.stem != "promptfooconfig" else path.parent.name
        context = cls(config=path, pins=pins)
        context.checks.base = path.parent
        context.rename(slug(stem, "imported"))
        return context

    def rename(self, project: str) -> None:
        self.project = project
        self.checks.name = "promptfoo_" + project.replace("-", "_")


class Part:
    """A part of the import: reads or builds one kind of thing, reporting as it goes."""

    def __init__(self, context: ImportContext):
        self.context = context

    @property
    def config(self) -> Path:
        return self.context.config

    @property
    def base(self) -> Path:
        """The config's folder: ``file://`` references are relative to it."""
        return self.context.config.parent

    @property
    def pins(self) -> Pins:
        return self.context.pins

    @property
    def report(self) -> Report:
        return self.context.report

    def origin(self, line: int | None = None, file: Path | None = None) -> Origin:
        return Origin(file or self.context.config, line)

    def leave_out(self, line: int | None, what: str, fix: str, file: Path | None = None) -> None:
        self.report.leave_out(self.origin(line, file), what, fix)
