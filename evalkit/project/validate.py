"""``evalkit check``: every mistake that can be found without an API call.

Suites, templates, schemas and pins are validated by loading (a configuration error stops
the check with exit 2, as it would stop a run). Then, gathered rather than stopped at: the
prompt lock (a locked version that changed is an error; a version in use but never locked
warns, an error with ``--strict``, since it can still be edited in place), schemas against
the strict structured-output rules, assertion paths and ``expect`` fields the schema cannot
have (project/schema_paths.py), request ``params`` the OpenAI API does not know (an error for
a model served by OpenAI, a warning for other servers: wire/params.py), every case rendered
under StrictUndefined, recordings missing for the current requests (stale after a prompt
edit), orphan recordings (a hand-written test's own are not: project/recordings.py
``owner_kind``), recorded answers from another model than the pinned one (drift), models
that retire (project/lifecycle.py: a warning within ``retire_warn_days`` of the shutdown, an
error once shut down or within ``retire_fail_days``, each where it is pinned), and judges
whose calibration against human labels is missing, stale or below ``min_agreement``.

Nothing here prints: :func:`check_project` returns a :class:`CheckReport` (its findings and
what was checked); the front words it (``cli/check.py``) and chooses the exit code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from ..config import Settings
from ..errors import ConfigError, RecordingError, display_path
from ..io.files import slug
from ..io.yamlfile import line_of, load_yaml
from ..prompts import PromptRef, PromptStore
from ..wire.params import unknown_param
from ..wire.pinning import is_pinned
from ..wire.strict import strict_problems
from .lifecycle import notices
from .open import Project, open_project
from .plan import PlannedCase, plan
from .recordings import (
    Owner,
    OwnerMark,
    RecordingStore,
    app_recordings,
    owner_kind,
    owning_test_exists,
)
from .schema_paths import path_problem


@dataclass(frozen=True)
class Finding:
    """One mistake found, where it is, and whether it is bad input (exit 2)."""

    level: Literal["error", "warning"]
    message: str
    file: str | None = None
    line: int | None = None
    usage: bool = False  # bad input (a malformed file): exit 2, as a run would

    def text(self) -> str:
        """Compiler style: ``file:line: message`` for errors, ``file:line: warning: message``."""
        where = (
            f"{self.file}:{self.line}: "
            if self.file and self.line
            else (f"{self.file}: " if self.file else "")
        )
        return f"{where}{'warning: ' if self.level == 'warning' else ''}{self.message}"

    def github(self) -> str:
        """A workflow command, so GitHub annotates the line in the PR."""
        props = ",".join(
            p
            for p in (
                f"file={self.file}" if self.file else "",
                f"line={self.line}" if self.line else "",
            )
            if p
        )
        message = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{self.level} {props}::{message}" if props else f"::{self.level}::{message}"


def _lock(project: Project, strict: bool) -> list[Finding]:
    store = PromptStore(project.settings.prompts_dir)
    findings = [Finding("error", p.message, p.file, p.line) for p in store.check_lock()]
    locked = store.read_lock()
    users: dict[str, list[str]] = {}
    for suite in project.suites:
        for target in (suite.base, *suite.variants.values()):
            names = users.setdefault(str(target.prompt), [])
            name = suite.name + (f" [{target.variant}]" if target.variant else "")
            if name not in names:
                names.append(name)
    for ref, names in sorted(users.items()):
        if ref in locked:
            continue
        path = store.path(PromptRef.parse(ref))
        findings.append(
            Finding(
                "error" if strict else "warning",
                f"prompt {ref} is in use ({', '.join(names)}) but not locked: it can still be "
                "edited in place under its cases; release it with `evalkit lock`",
                display_path(path),
            )
        )
    return findings


def _params(project: Project) -> list[Finding]:
    """Request params the API does not know: an error for a model OpenAI serves (it would
    answer 400), a warning for another server (it may take extras)."""
    findings: list[Finding] = []
    for suite in project.suites:
        data = load_yaml(suite.path)
        for target in (suite.base, *suite.variants.values()):
            for key in target.params:
                problem = unknown_param(target.api, key)
                if problem is None:
                    continue
                where = ["variants", target.variant, "params", key] if target.variant else []
                line = line_of(data, where) if where else None
                line = line or line_of(data, ["params", key])
                served = served_by_openai(project.settings, target.model)
                on = "" if served else f" (sent to {server_name(project.settings, target.model)})"
                label = f"variant {target.variant}: " if target.variant else ""
                findings.append(
                    Finding(
                        "error" if served else "warning",
                        f"{label}params: {problem}{on}; "
                        + (
                            "OpenAI would answer 400"
                            if served
                            else "other servers may take it, OpenAI would not"
                        ),
                        display_path(suite.path),
                        line,
                    )
                )
    return _unique(findings)


def _paths(project: Project) -> list[Finding]:
    """Assertion paths and ``expect`` fields the suite's schema cannot have."""
    findings: list[Finding] = []
    for suite in project.suites:
        for target in (suite.base, *suite.variants.values()):
            model = target.schema_model
            if model is None:
                continue
            schema = model.model_json_schema()
            for case in suite.cases:
                for spec in case.asserts:
                    path = spec.path
                    if not path or path.startswith(("tool_calls.", "tool_calls[")):
                        continue
                    if path == "tool_calls":
                        continue
                    problem = path_problem(schema, path)
                    if problem is None:
                        continue
                    label = f" (variant {target.variant})" if target.variant else ""
                    findings.append(
                        Finding(
                            "error",
                            f"{suite.name}::{case.id}: {spec.describe()}: {problem} of "
                            f"{target.schema_ref}{label}",
                            display_path(case.file),
                            spec.line or case.line,
                        )
                    )
    return _unique(findings)


def served_by_openai(settings: Settings, model: str) -> bool:
    """Whether requests to ``model`` go to OpenAI itself: no ``[tool.evalkit.servers]``
    entry sends them elsewhere, and ``OPENAI_BASE_URL`` is unset or OpenAI's."""
    name, server = settings.server_for(model)
    base = (server.base_url if name is not None else None) or os.environ.get("OPENAI_BASE_URL")
    return not base or urlparse(base).hostname == "api.openai.com"


def server_name(settings: Settings, model: str) -> str:
    name, _ = settings.server_for(model)
    if name is not None:
        return f"the {name!r} server"
    return urlparse(os.environ.get("OPENAI_BASE_URL", "")).hostname or "OPENAI_BASE_URL"


def _unique(findings: list[Finding]) -> list[Finding]:
    """The same mistake under several targets is one finding (the first target's)."""
    seen: set[tuple[str | None, int | None, str]] = set()
    out = []
    for f in findings:
        key = (f.file, f.line, f.message.split(" (variant ")[0])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _schemas(project: Project) -> list[Finding]:
    findings, seen = [], set()
    for suite in project.suites:
        for target in (suite.base, *suite.variants.values()):
            model = target.schema_model
            if model is None or model in seen:
                continue
            seen.add(model)
            for problem in strict_problems(model):
                findings.append(
                    Finding(
                        "error",
                        f"schema {target.schema_ref}: field {problem.field} {problem.message}",
                        display_path(problem.file) if problem.file else display_path(suite.path),
                        problem.line,
                    )
                )
    return findings


def _recordings(project: Project, planned: list[PlannedCase], strict: bool) -> list[Finding]:
    store = RecordingStore(project.settings.snapshots_dir / "recordings")
    findings: list[Finding] = []
    expected: dict[Owner, set[str]] = {}
    unreadable: set[Owner] = set()
    for item in planned:
        owner = Owner(item.suite.name, item.case.id)
        keys = expected.setdefault(owner, set())
        where = display_path(item.case.file)
        keys.update(request.key for request in item.requests)
        if owner in unreadable:
            continue
        try:
            entries = store.entries(owner)
        except RecordingError as exc:
            unreadable.add(owner)
            findings.append(Finding("error", exc.message, exc.file, exc.line, usage=True))
            continue
        if any(request.key not in entries for request in item.requests):
            findings.append(
                Finding(
                    "error" if strict else "warning",
                    f"{item.item_id}: no recording for the current request (stale after an edit, or never recorded); "
                    "replay would fail: run `evalkit record`",
                    where,
                    item.case.line,
                )
            )
    for suite in project.suites:
        folder = store.folder / slug(suite.name)
        if not folder.is_dir():
            continue
        cases = {slug(c.id): c for c in suite.cases}
        for path in sorted(folder.glob("*.json")):
            case = cases.get(path.stem)
            if case is None:
                orphan = _orphan(project, suite.name, path)
                if orphan is not None:
                    findings.append(Finding("warning", orphan, display_path(path)))
                continue
            owner = Owner(suite.name, case.id)
            if owner in unreadable:
                continue
            for key, entry in sorted(store.entries(owner).items()):
                if entry.purpose is not None:
                    continue  # a check's own call: not planned, keyed by what the model said
                requested, answered = entry.request.body.get("model", ""), entry.model
                if answered and requested and is_pinned(str(requested)) and answered != requested:
                    findings.append(
                        Finding(
                            "error",
                            f"{suite.name}::{case.id}: model drift: {requested} was requested but {answered} answered "
                            f"(recording {key[:12]}); re-record, and check the change before accepting it",
                            display_path(case.file),
                            case.line,
                        )
                    )
                if key not in expected.get(owner, set()):
                    findings.append(
                        Finding(
                            "warning",
                            f"{suite.name}::{case.id}: orphan recording {key[:12]} matches no current request "
                            f"(left over from an earlier prompt or params); remove it from {display_path(path)}",
                            display_path(case.file),
                            case.line,
                        )
                    )
    for path in app_recordings(store.folder):  # the evalkit_openai fixture's, one per test
        try:
            mark = owner_kind(path)
        except RecordingError as exc:
            findings.append(Finding("error", exc.message, display_path(path), usage=True))
            continue
        if mark.owner == "test" and owning_test_exists(project.settings.root, mark.test) is False:
            orphan = _orphan(project, "", path)
            findings.append(Finding("warning", orphan or "", display_path(path)))
    return findings


def _calibrations(project: Project) -> list[Finding]:
    """Judges with ``labels:`` (checks/calibration.py): one with ``min_agreement`` whose
    calibration is missing, stale or below the bar is an error (exit 2, as its check would
    fail the run); one without it warns when its calibration is stale or missing."""
    from ..checks import REGISTRY
    from ..checks.semantic import Judge

    judge = REGISTRY["judge"]
    assert isinstance(judge, Judge)
    findings: list[Finding] = []
    for suite in project.suites:
        seen: dict[str, tuple[object, int | None]] = {}
        for case in suite.cases:
            for spec in case.asserts:
                if spec.type != "judge" or spec.args.label_set is None:
                    continue
                identity = judge.identity(spec, suite.prompts)
                name = spec.args.label_set.judge_id
                key = (identity, spec.args.min_agreement)
                if name in seen:
                    if seen[name][0] != key:
                        findings.append(
                            Finding(
                                "error",
                                f"{suite.name}: two different judges are both named {name!r} "
                                f"by their labels files (the other at line {seen[name][1]}): "
                                "give each judge its own labels file",
                                display_path(case.file),
                                spec.line,
                                usage=True,
                            )
                        )
                    continue
                seen[name] = (key, spec.line)
                found = judge.calibration(spec, suite.name, project.settings, suite.prompts)
                if found is None or found.ok:
                    continue
                gates = spec.args.min_agreement is not None
                findings.append(
                    Finding(
                        "error" if gates else "warning",
                        f"{suite.name}: {found.message}"
                        + ("; its check fails every run until then" if gates else ""),
                        display_path(case.file),
                        spec.line,
                        usage=gates,
                    )
                )
    return findings


def _orphan(project: Project, suite: str, path: Path) -> str | None:
    """Why a recording no case of its suite owns is an orphan, or None when a test that is
    still defined owns it (recordings.owner_kind: the one rule)."""
    try:
        mark = owner_kind(path)
    except RecordingError:
        mark = OwnerMark()
    if mark.owner == "test":
        if owning_test_exists(project.settings.root, mark.test) is not False:
            return None
        return (
            f"orphan recording: the test that owned it ({mark.test}) is no longer defined; "
            "`evalkit prune --yes` deletes it"
        )
    return f"orphan recording: suite {suite!r} has no case for it; `evalkit prune --yes` deletes it"


def _retiring(project: Project) -> list[Finding]:
    """Models shut down or shutting down soon, and an old models.json."""
    try:
        found = notices(project)
    except ConfigError as exc:  # a malformed models.json is bad input, as a recording is
        return [Finding("error", exc.message, exc.file, exc.line, usage=True)]
    return [Finding(n.level, n.message, n.file, n.line) for n in found]


@dataclass(frozen=True)
class CheckReport:
    """What ``evalkit check`` found: every finding in the order found, and how much was
    checked. ``stopped``: a configuration error stopped loading (it is the one finding)."""

    findings: list[Finding] = field(default_factory=list)
    suites: int = 0
    plans: int = 0
    stopped: bool = False

    @property
    def errors(self) -> int:
        return sum(f.level == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def usage(self) -> bool:
        """Bad input (a malformed suite or recording): exit 2, as a run would."""
        return self.stopped or any(f.usage for f in self.findings)


def check_project(paths: Sequence[str | Path], *, strict: bool = False) -> CheckReport:
    """Every mistake in the suites at ``paths`` (default: the project's suites folder) that
    can be found without an API call; ``strict``: missing recordings and prompt versions
    in use but not locked are errors."""
    try:
        project = open_project(paths)
        planned = [
            item
            for suite in project.suites
            for variant in (None, *suite.variants)
            for item in plan(suite, variant)
        ]
    except ConfigError as exc:
        stop = Finding("error", exc.message, exc.file, exc.line, usage=True)
        return CheckReport([stop], stopped=True)
    findings = (
        _lock(project, strict)
        + _schemas(project)
        + _paths(project)
        + _params(project)
        + _recordings(project, planned, strict)
        + _retiring(project)
        + _calibrations(project)
    )
    return CheckReport(findings, len(project.suites), len(planned))
