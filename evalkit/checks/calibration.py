"""A judge's calibration against human labels: the labels file, the record, and its status.

A judge check with ``labels:`` names a JSONL file of human verdicts on real outputs (one
``{"case", "output", "label": "pass"|"fail", "note", "vars"?}`` a line). ``evalkit calibrate``
(runs/calibrate.py) runs the judge over those outputs and writes a :class:`CalibrationRecord`
to ``snapshots/calibrations/<suite>/<judge id>.json``: committed, so a reviewer sees in the PR
how well the judge agrees with people, and so CI knows without calling anything.

The record names what it measured: the judge's :class:`JudgeIdentity` (model, rubric, judge
prompt and its digest, params, threshold, path) and the labels file's digest. Whatever
changes either makes the record *stale*: it measured another judge, or other labels.
:func:`status` is the one rule every reader follows (the judge check at run time, ``evalkit
check``, reports): ``missing``, ``unreadable``, ``stale``, ``below`` (agreement under
``min_agreement``) or ``ok``. A judge with ``min_agreement`` gates only when ``ok``.

The judge id is the labels file's name without ``.jsonl``: one labels file is one judge.
Labels are untrusted input: the file is bounded, every bad line is a ``file:line`` error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, display_path
from ..io.files import atomic_write, read_text, slug
from ..io.jsonfile import loads_bounded
from ..stats.agreement import Agreement

if TYPE_CHECKING:
    from ..results import CaseResult

MAX_LABELS_BYTES = 32 * 1024 * 1024
MAX_LABELS = 20_000
FORMAT = 1

State = Literal["ok", "missing", "unreadable", "stale", "below"]


class Label(BaseModel):
    """One human verdict on one output, as a line of a labels file holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case: str = Field(min_length=1, max_length=1000)
    output: str
    label: Literal["pass", "fail"]
    note: str = ""
    vars: dict[str, Any] = Field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.label == "pass"


@dataclass(frozen=True)
class LabelSet:
    """A labels file read whole: its labels with their lines, and the digest of its bytes."""

    path: Path
    digest: str
    labels: tuple[tuple[int, Label], ...]

    @property
    def judge_id(self) -> str:
        return judge_id(self.path)


def judge_id(labels: Path | str) -> str:
    """A judge's id: its labels file's name without the ``.jsonl``."""
    name = Path(labels).name
    return name[: -len(".jsonl")] if name.lower().endswith(".jsonl") else Path(name).stem


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown field {field!r} (a label has case, output, label, note, vars)"
    if err["type"] == "missing":
        return f"missing field {field!r}"
    if field == "label":
        return 'label must be "pass" or "fail"'
    return f"{field}: {err['msg']}"


@functools.lru_cache(maxsize=64)
def _read_cached(path: Path, mtime_ns: int, size: int) -> LabelSet:
    data = read_text(path, "labels file")
    labels: list[tuple[int, Label]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, text in enumerate(data.splitlines(), 1):
        if not text.strip():
            continue
        if len(labels) >= MAX_LABELS:
            raise ConfigError(
                f"more than {MAX_LABELS} labels: split the file, or label a sample", path, number
            )
        raw = loads_bounded(text, path, number, what="this line")
        if not isinstance(raw, dict):
            raise ConfigError(
                'a label is a JSON object: {"case", "output", "label": "pass"|"fail", "note"}',
                path,
                number,
            )
        try:
            label = Label.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_problem(exc), path, number) from None
        key = (label.case, label.output)
        if key in seen:
            raise ConfigError(
                f"case {label.case!r} has this output labelled twice (first at line "
                f"{seen[key]}): keep one label per output",
                path,
                number,
            )
        seen[key] = number
        labels.append((number, label))
    if not labels:
        raise ConfigError(
            "the labels file holds no labels: label outputs in `evalkit view` and download them",
            path,
            1,
        )
    digest = "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()
    return LabelSet(path, digest, tuple(labels))


def read_labels(path: Path) -> LabelSet:
    """The labels at ``path``, or a ConfigError at the file and line that is wrong."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"labels file not found ({exc.strerror or exc})", path) from None
    if stat.st_size > MAX_LABELS_BYTES:
        raise ConfigError(
            f"the labels file is {stat.st_size} bytes, over the {MAX_LABELS_BYTES} byte limit",
            path,
        )
    return _read_cached(path, stat.st_mtime_ns, stat.st_size)


class JudgeIdentity(BaseModel):
    """What makes a judge the judge it is: change any of it and its calibration is stale."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str
    rubric: str
    prompt: str  # name@version of the judge prompt
    prompt_digest: str
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: float | None = None
    path: str | None = None  # the part of the output it judges

    def changed(self, other: JudgeIdentity) -> list[str]:
        """The fields in which ``other`` differs from this one."""
        mine, theirs = self.model_dump(), other.model_dump()
        return [k for k in mine if mine[k] != theirs.get(k)]


class Confusion(BaseModel):
    """Human label (rows) against the judge's verdict: tp both pass, tn both fail."""

    model_config = ConfigDict(extra="forbid")
    tp: int
    fn: int
    fp: int
    tn: int


class Disagreement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str
    line: int  # of the labels file
    label: Literal["pass", "fail"]
    verdict: Literal["pass", "fail"]
    score: float | None = None
    reason: str
    output: str
    note: str = ""


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _pair(low: float, high: float) -> tuple[float, float]:
    return (round(low, 6), round(high, 6))


class CalibrationRecord(BaseModel):
    """One judge's calibration, as committed under snapshots/calibrations/."""

    model_config = ConfigDict(extra="forbid")
    format: int = FORMAT
    suite: str
    judge: str
    identity: JudgeIdentity
    labels: str  # the labels file, relative to the project root
    labels_digest: str
    n: int
    confidence: float
    agreement: float | None
    agreement_interval: tuple[float, float]
    kappa: float | None
    kappa_se: float | None
    kappa_interval: tuple[float, float] | None
    tpr: float | None
    tpr_interval: tuple[float, float]
    tnr: float | None
    tnr_interval: tuple[float, float]
    confusion: Confusion
    methods: dict[str, str] = Field(
        default_factory=lambda: {
            "agreement": "Wilson score interval",
            "kappa": "Fleiss-Cohen-Everitt (1969) standard error, normal interval",
            "tpr": "Wilson score interval",
            "tnr": "Wilson score interval",
        }
    )
    disagreements: list[Disagreement] = Field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        suite: str,
        judge: str,
        identity: JudgeIdentity,
        labels: str,
        labels_digest: str,
        stats: Agreement,
        disagreements: list[Disagreement],
    ) -> CalibrationRecord:
        c, k = stats.confusion, stats.kappa
        return cls(
            suite=suite,
            judge=judge,
            identity=identity,
            labels=labels,
            labels_digest=labels_digest,
            n=stats.n,
            confidence=stats.confidence,
            agreement=_r(stats.agreement),
            agreement_interval=_pair(stats.agreement_interval.low, stats.agreement_interval.high),
            kappa=_r(k.value),
            kappa_se=_r(k.se),
            kappa_interval=_pair(*k.interval) if k.interval is not None else None,
            tpr=_r(stats.tpr),
            tpr_interval=_pair(stats.tpr_interval.low, stats.tpr_interval.high),
            tnr=_r(stats.tnr),
            tnr_interval=_pair(stats.tnr_interval.low, stats.tnr_interval.high),
            confusion=Confusion(tp=c.tp, fn=c.fn, fp=c.fp, tn=c.tn),
            disagreements=disagreements,
        )

    def line(self) -> str:
        """The short form shown next to a judge's verdicts."""
        agreement = "n/a" if self.agreement is None else f"{self.agreement:.2f}"
        kappa = "undefined" if self.kappa is None else f"{self.kappa:.2f}"
        return f"judge agreement {agreement} (n={self.n}, kappa {kappa})"

    def text(self) -> str:
        """Deterministic JSON: the same calibration is the same bytes on every machine."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


_NOTE = re.compile(r"\[calibration ([^:\]]+): ([^\]]+)\]")


def note(judge: str, text: str) -> str:
    """The calibration as a judge check's message carries it, next to the verdict:
    ``[calibration refund: judge agreement 0.92 (n=50, kappa 0.81)]``."""
    return f"[calibration {judge}: {text}]"


def notes_in(message: str) -> list[tuple[str, str]]:
    """The ``(judge, text)`` notes a check message carries (reports list them)."""
    return [(m.group(1), m.group(2)) for m in _NOTE.finditer(message)]


def judge_notes(result: CaseResult) -> list[str]:
    """``"suite: judge: judge agreement ..."`` for each judge note in a result's checks."""
    out: dict[str, None] = {}
    for sample in result.samples:
        for check in sample.checks:
            if check.type.startswith(("judge", "not judge")):
                for judge, text in notes_in(check.message):
                    out[f"{result.suite}: {judge}: {text}"] = None
    return list(out)


def record_path(snapshots_dir: Path, suite: str, judge: str) -> Path:
    return snapshots_dir / "calibrations" / slug(suite) / f"{slug(judge)}.json"


def write_record(
    path: Path, record: CalibrationRecord, redact: Callable[[str], str] | None = None
) -> None:
    """Write the record whole; ``redact`` masks any secret an output or note carried."""
    text = record.text()
    atomic_write(path, redact(text) if redact is not None else text)


@functools.lru_cache(maxsize=256)
def _load(path: Path, mtime_ns: int, size: int) -> CalibrationRecord | str:
    try:
        return CalibrationRecord.model_validate_json(read_text(path, "calibration"))
    except ConfigError as exc:
        return exc.message
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"not a calibration record ({where}: {err['msg']})" if where else err["msg"]


def read_record(path: Path) -> CalibrationRecord | str | None:
    """The record at ``path``; None when there is none; a string saying why it is unreadable."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size > MAX_LABELS_BYTES * 2:
        return f"the file is {stat.st_size} bytes, too big for a calibration record"
    return _load(path, stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class CalibrationStatus:
    """A judge's calibration as the one rule reads it (see the module docstring)."""

    state: State
    message: str
    path: Path
    record: CalibrationRecord | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def status(
    *,
    snapshots_dir: Path,
    suite: str,
    suite_path: Path | None,
    identity: JudgeIdentity,
    labels: LabelSet,
    min_agreement: float | None,
) -> CalibrationStatus:
    """Where the judge's calibration stands, with a message naming what to run."""
    judge = labels.judge_id
    path = record_path(snapshots_dir, suite, judge)
    command = (
        f"`evalkit calibrate {display_path(suite_path)}`" if suite_path else "`evalkit calibrate`"
    )
    found = read_record(path)
    where = display_path(path)
    if found is None:
        return CalibrationStatus(
            "missing",
            f"judge {judge!r} has no calibration against {display_path(labels.path)} "
            f"({where} does not exist): run {command}",
            path,
        )
    if isinstance(found, str):
        return CalibrationStatus(
            "unreadable", f"judge {judge!r}: calibration {where}: {found}: run {command}", path
        )
    changed = found.identity.changed(identity)
    if found.labels_digest != labels.digest:
        changed.append("labels")
    if changed:
        return CalibrationStatus(
            "stale",
            f"judge {judge!r}: its calibration is stale ({', '.join(changed)} changed since "
            f"{where} was written): run {command}",
            path,
            found,
        )
    if min_agreement is not None and (found.agreement is None or found.agreement < min_agreement):
        low, high = found.agreement_interval
        return CalibrationStatus(
            "below",
            f"judge {judge!r}: {found.line()} is below min_agreement {min_agreement:g} "
            f"({found.confidence:.0%} interval {low:.2f}-{high:.2f}; see the disagreements in {where}): improve "
            f"the rubric, prompt or model, or the labels, then run {command}",
            path,
            found,
        )
    return CalibrationStatus("ok", found.line(), path, found)


__all__ = [
    "CalibrationRecord",
    "CalibrationStatus",
    "Disagreement",
    "JudgeIdentity",
    "Label",
    "LabelSet",
    "judge_notes",
    "note",
    "notes_in",
    "read_labels",
    "read_record",
    "record_path",
    "status",
    "write_record",
]
