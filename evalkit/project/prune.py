"""``evalkit prune``: the recordings and output snapshots nothing uses any more.

Every owner is known before anything is called unused:

- a suite's cases under the suite as written and every variant: ``recordings/<suite>/<case>
  .json``, ``outputs/<suite>/<case>.json`` (``.sample-N`` for repeat samples after the
  first, while the case has a ``snapshot`` check) and ``outputs/<suite>/@<variant>/...``
  (checks/snapshot_store.py names them);
- hand-written tests (the ``evalkit_suite`` fixture) and the ``evalkit_openai`` fixture's
  per-test files (``recordings/app/<test file>/<test>.json``): their recordings say so (project/recordings.py ``owner_kind``), and they
  are kept while the test they name is still defined; a hand-written test's snapshots sit
  next to its recording (same suite, same id) and share its fate.

Nothing a user reviewed is deleted because something else was missing: prune refuses (a
:class:`~evalkit.errors.ConfigError`, exit 2) when a suite does not load or a case does not
plan, and never deletes a file whose owner it cannot read. With suites named, only their
folders are looked at; with none, every folder, so a removed suite's files are found too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..checks.snapshot_store import SnapshotStore
from ..errors import ConfigError, RecordingError, display_path
from ..io.files import slug
from .open import Project, open_project
from .plan import Plan
from .recordings import OwnerMark, app_recordings, owner_kind, owning_test_exists

Kind = Literal["recording", "snapshot"]


@dataclass(frozen=True)
class Unused:
    """A file nothing uses, and why."""

    path: Path
    kind: Kind
    why: str


@dataclass
class PruneReport:
    unused: list[Unused] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # kept: owner unknown
    deleted: bool = False


@dataclass
class _Owners:
    """What is in use, per suite folder (slugs)."""

    cases: set[str] = field(default_factory=set)  # case slugs of the suite
    snapshots: set[tuple[str | None, str]] = field(default_factory=set)  # (variant, file name)
    variants: set[str] = field(default_factory=set)  # @folders in use


def _owners(project: Project) -> dict[str, _Owners]:
    """Every suite's cases, and the snapshot files its cases read, under every variant."""
    out: dict[str, _Owners] = {}
    for suite in project.suites:
        owners = out.setdefault(slug(suite.name), _Owners())
        for variant in (None, *suite.variants):
            try:
                Plan([(suite, variant)])  # every case renders, or nothing is pruned
            except ConfigError as exc:
                raise ConfigError(
                    f"evalkit prune refuses to run, nothing was deleted: a case does not "
                    f"plan ({exc}); fix it first, so prune knows every case",
                ) from None
            target = suite.target(variant)
            folder_variant = slug(variant) if variant else None
            if folder_variant:
                owners.variants.add(folder_variant)
            for case in suite.cases:
                owners.cases.add(slug(case.id))
                if not any(spec.type == "snapshot" for spec in case.asserts):
                    continue
                for sample in range(suite.repeat):
                    name = slug(case.id) + (f".sample-{sample}" if sample else "") + ".json"
                    owners.snapshots.add((folder_variant if target.variant else None, name))
    return out


def _mark(path: Path, report: PruneReport) -> OwnerMark | None:
    """The file's owner mark; None (and noted as kept) when it cannot be read."""
    try:
        return owner_kind(path)
    except (RecordingError, ConfigError) as exc:
        report.unreadable.append((path, exc.message))
        return None


def find_unused(paths: Sequence[str | Path] = ()) -> PruneReport:
    """The files under the project's snapshots folder that nothing uses (see the module)."""
    try:
        project = open_project(paths)
    except ConfigError as exc:
        raise ConfigError(
            f"evalkit prune refuses to run, nothing was deleted: a suite does not load "
            f"({exc}); fix it first, so prune knows every case"
        ) from None
    owners = _owners(project)
    root = project.settings.root
    recordings = project.settings.snapshots_dir / "recordings"
    outputs = SnapshotStore(project.settings.snapshots_dir / "outputs").folder
    report = PruneReport()
    named = {slug(s.name): s.name for s in project.suites}
    every = not paths
    folders = sorted(
        {
            p.name
            for base in (recordings, outputs)
            if base.is_dir()
            for p in base.iterdir()
            if p.is_dir()
        }
        if every
        else set(named)
    )
    tests: dict[str, set[str]] = {}  # suite slug → ids of hand-written tests still defined
    for folder in folders:
        suite = named.get(folder)
        owner = owners.get(folder, _Owners())
        tests[folder] = set()
        base = recordings / folder
        for path in sorted(base.glob("*.json")) if base.is_dir() else []:
            mark = _mark(path, report)
            if mark is None:
                continue
            if mark.owner == "test":
                defined = owning_test_exists(root, mark.test)
                if defined is False:
                    why = f"the test that owned it ({mark.test}) is no longer defined"
                    report.unused.append(Unused(path, "recording", why))
                else:
                    tests[folder].add(path.stem)
                continue
            if path.stem in owner.cases:
                continue
            why = (
                f"suite {suite!r} has no case {path.stem!r}"
                if suite
                else f"no suite is named {folder!r} any more"
            )
            report.unused.append(Unused(path, "recording", why))
        _snapshots(outputs / folder, suite, owner, tests[folder], report)
    for path in app_recordings(recordings) if every else []:  # the evalkit_openai fixture's
        mark = _mark(path, report)
        if (
            mark is not None
            and mark.owner == "test"
            and owning_test_exists(root, mark.test) is False
        ):
            why = f"the test that owned it ({mark.test}) is no longer defined"
            report.unused.append(Unused(path, "recording", why))
    return report


def _snapshots(
    folder: Path, suite: str | None, owner: _Owners, tests: set[str], report: PruneReport
) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.json")):
        parent = path.parent.name
        variant = parent[1:] if path.parent != folder and parent.startswith("@") else None
        if path.parent != folder and variant is None:
            continue  # not a folder evalkit writes: not evalkit's to delete
        case = path.name.split(".sample-")[0].removesuffix(".json")
        if (variant, path.name) in owner.snapshots or case in tests:
            continue
        if suite is None:
            why = f"no suite is named {folder.name!r} any more"
        elif variant is not None and variant not in owner.variants:
            why = f"suite {suite!r} has no variant {variant!r}"
        elif case not in owner.cases:
            why = f"suite {suite!r} has no case {case!r}"
        else:
            why = f"case {case!r} no longer reads it (no snapshot check, or fewer samples)"
        report.unused.append(Unused(path, "snapshot", why))


def delete(report: PruneReport) -> None:
    """Delete what ``report`` found unused (a file already gone is fine)."""
    for item in report.unused:
        try:
            item.path.unlink(missing_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot delete {display_path(item.path)}: {exc.strerror or exc}"
            ) from None
    report.deleted = True
