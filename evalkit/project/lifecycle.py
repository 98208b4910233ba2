"""Every model a project uses, where it is pinned, and when it stops answering.

A pin is the suite's promise that the model cannot change under it; a shutdown breaks that
promise on an announced day. This module finds every model the project would call — each
suite's ``model``, each variant's own, and the models checks call themselves (a judge's,
``similar``'s embeddings model, a grader's), read through the check contract
(``Check.models``) so no check type is named here — with the ``file:line`` where each is
written, and the server each lives on (``[tool.evalkit.servers]``).

Shutdown dates come from ``snapshots/models.json`` (what each server's ``GET /v1/models``
said at the last ``evalkit models --refresh``; committed, so offline CI knows them), and,
for a model no server announced a date for, from the bundled table of OpenAI's announced
shutdowns (:data:`evalkit.wire.lifecycle.KNOWN_SHUTDOWNS`): a server's silence never hides
a known date.

:func:`notices` is what ``evalkit check`` and the pytest plugin say: a model retiring
within ``retire_warn_days`` (default 90) warns, one shut down or within
``retire_fail_days`` (default 14) is an error, each at the line where it is pinned and with
the command for the migration dual run; a ``models.json`` refreshed more than
:data:`STALE_DAYS` ago says it is old (OpenAI gives at least three to six months' notice of
a shutdown, so a monthly refresh sees every announcement with months to spare).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..checks import REGISTRY
from ..config import Server, Settings
from ..errors import ConfigError, display_path
from ..io.files import atomic_write, read_text
from ..io.jsonfile import loads_bounded
from ..io.yamlfile import LineDict, line_of, load_yaml
from ..wire.lifecycle import (
    SUGGESTED,
    ModelLifecycle,
    Status,
    days_left,
    known_shutdown,
    list_models,
    status_of,
)
from ..wire.lifecycle import (
    today as system_today,
)
from .open import Project
from .suite import Suite

MODELS_FILE = "models.json"
MAX_BYTES = 2 * 1024 * 1024  # a models.json of every server's full list is ~20 kB
MAX_SERVERS = 64
STALE_DAYS = 30
DEFAULT_SERVER = "default"
NO_KEY = "sk-no-key-configured"  # a local server that asks for no key still needs a string


# -- snapshots/models.json -------------------------------------------------------------


class ServerListing(BaseModel):
    """One server's answer to ``GET /v1/models`` at the last refresh."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)  # "default" or a [tool.evalkit.servers] key
    answered_by: str = Field("", max_length=200)  # its host, or the testing server's name
    models: list[ModelLifecycle] = Field(default_factory=list, max_length=5000)


class ModelsFile(BaseModel):
    """``snapshots/models.json``: when it was refreshed, and what each server listed."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    refreshed_at: datetime
    servers: list[ServerListing] = Field(default_factory=list, max_length=MAX_SERVERS)

    def listing(self, server: str) -> ServerListing | None:
        return next((s for s in self.servers if s.name == server), None)

    def age_days(self, today: date) -> int:
        return (today - self.refreshed_at.date()).days


def models_path(settings: Settings) -> Path:
    return settings.snapshots_dir / MODELS_FILE


def read_models_file(settings: Settings) -> ModelsFile | None:
    """The committed models.json, or None when there is none; a ConfigError at its line
    when it is too big, not JSON or not its shape (it is untrusted input: re-run
    ``evalkit models --refresh``)."""
    path = models_path(settings)
    if not path.is_file():
        return None
    fix = "regenerate it with `evalkit models --refresh`"
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"bigger than {MAX_BYTES // 1024 // 1024} MB: {fix}", path, 1)
    text = read_text(path, "models file")
    data = loads_bounded(text, path, 1, max_bytes=MAX_BYTES, what="the models file", fix=f": {fix}")
    try:
        return ModelsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ConfigError(
            f"{where}: {first['msg'].removeprefix('Value error, ')}: {fix}", path, 1
        ) from None


def write_models_file(settings: Settings, models: ModelsFile) -> Path:
    path = models_path(settings)
    text = json.dumps(models.model_dump(mode="json"), indent=1, sort_keys=False) + "\n"
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise ConfigError(f"cannot write the models file: {exc.strerror or exc}", path) from None
    return path


# -- the models a project uses ---------------------------------------------------------


class Use(BaseModel):
    """One place a model is pinned."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["suite", "variant", "check", "server"]
    suite: str
    suite_path: Path
    variant: str | None = None
    check: str | None = None  # the assertion type calling it
    file: Path
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{display_path(self.file)}:{self.line}" if self.line else display_path(self.file)

    @property
    def what(self) -> str:
        if self.kind == "suite":
            return f"suite {self.suite}"
        if self.kind == "variant":
            return f"suite {self.suite}, variant {self.variant}"
        if self.kind == "server":
            return "[tool.evalkit.servers] entry"
        return f"suite {self.suite}, {self.check} check"


class UsedModel(BaseModel):
    model: str
    server: str  # "default" or the [tool.evalkit.servers] pattern it matches
    uses: list[Use]


def server_of(settings: Settings, model: str) -> str:
    name, _ = settings.server_for(model)
    return name or DEFAULT_SERVER


def used_models(project: Project, suites: Iterable[Suite] | None = None) -> list[UsedModel]:
    """Every model ``suites`` (default: the project's) would call, in the order first seen,
    each with every place it is pinned."""
    found: dict[str, list[Use]] = {}

    def add(model: str, use: Use) -> None:
        uses = found.setdefault(model, [])
        if all((u.file, u.line, u.kind) != (use.file, use.line, use.kind) for u in uses):
            uses.append(use)

    for suite in project.suites if suites is None else suites:
        data = load_yaml(suite.path)
        common = {"suite": suite.name, "suite_path": suite.path, "file": suite.path}
        add(suite.base.model, Use(kind="suite", line=line_of(data, ["model"]), **common))
        written = data.get("variants") if isinstance(data, LineDict) else None
        for name, target in suite.variants.items():
            own = written.get(name) if isinstance(written, dict) else None
            if isinstance(own, dict) and "model" in own:
                line = line_of(data, ["variants", name, "model"])
                add(target.model, Use(kind="variant", variant=name, line=line, **common))
        seen: set[tuple[Path, int | None, str]] = set()
        if not any(REGISTRY[t].calls for t in suite.check_types):
            continue  # no check of it calls a model: its cases need not be read for one
        for case in suite.cases:
            for spec in case.asserts:
                key = (case.file, spec.line or case.line, spec.type)
                if key in seen:
                    continue
                seen.add(key)
                for model in spec.check.models(spec):
                    use = Use(
                        kind="check",
                        suite=suite.name,
                        suite_path=suite.path,
                        check=spec.type,
                        file=case.file,
                        line=spec.line or case.line,
                    )
                    add(model, use)
    settings = project.settings
    pyproject = settings.root / "pyproject.toml"
    for pattern in settings.servers:  # a server entry named after one model pins it too
        if not any(c in pattern for c in "*?[") and pyproject.is_file():
            text = read_text(pyproject, "pyproject.toml").splitlines()
            line = next((i for i, t in enumerate(text, 1) if f'"{pattern}"' in t), None)
            use = Use(kind="server", suite="", suite_path=pyproject, file=pyproject, line=line)
            add(pattern, use)
    return [UsedModel(model=m, server=server_of(settings, m), uses=u) for m, u in found.items()]


# -- what is known of each -------------------------------------------------------------


class ModelState(BaseModel):
    """A used model with what is known of its shutdown, on ``today``."""

    model: str
    server: str
    uses: list[Use]
    shutdown_date: date | None
    status: Status
    days_left: int | None
    source: Literal["server", "table", "none"]  # where the date (or its absence) came from
    listed: bool | None  # whether its server listed it at the last refresh (None: not asked)


def shutdown_for(settings: Settings, model: str, models: ModelsFile | None = None) -> date | None:
    """The shutdown date of ``model`` as its server announced it, else the bundled table's."""
    if models is None:
        try:
            models = read_models_file(settings)
        except ConfigError:
            models = None
    listing = models.listing(server_of(settings, model)) if models else None
    entry = next((m for m in listing.models if m.id == model), None) if listing else None
    if entry is not None and entry.shutdown_date is not None:
        return entry.shutdown_date
    return known_shutdown(model)


def states(
    settings: Settings, used: Sequence[UsedModel], models: ModelsFile | None, today: date
) -> list[ModelState]:
    out = []
    for item in used:
        listing = models.listing(item.server) if models else None
        entry = next((m for m in listing.models if m.id == item.model), None) if listing else None
        listed = None if listing is None else entry is not None
        day, source = (entry.shutdown_date, "server") if entry else (None, "none")
        if day is None and known_shutdown(item.model) is not None:
            day, source = known_shutdown(item.model), "table"
        status = status_of(day, today, settings.retire_warn_days, bool(listed))
        out.append(
            ModelState(
                model=item.model,
                server=item.server,
                uses=item.uses,
                shutdown_date=day,
                status=status,
                days_left=days_left(day, today),
                source=source,  # type: ignore[arg-type]
                listed=listed,
            )
        )
    return out


def project_states(
    project: Project, suites: Iterable[Suite] | None = None, today: date | None = None
) -> tuple[list[ModelState], ModelsFile | None]:
    models = read_models_file(project.settings)
    day = today or system_today()
    return states(project.settings, used_models(project, suites), models, day), models


# -- what check and pytest say ---------------------------------------------------------


class Notice(BaseModel):
    """A warning or an error about a retiring model (or an old models.json), at its line."""

    level: Literal["error", "warning"]
    message: str
    file: str | None = None
    line: int | None = None

    def text(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        where = where or (f"{self.file}: " if self.file else "")
        return f"{where}{'warning: ' if self.level == 'warning' else ''}{self.message}"


def migration(use: Use, model: str) -> str:
    """The command for the dual run off ``model`` at ``use``: the same cases on a current
    snapshot beside the pinned one, before the pin moves."""
    new = SUGGESTED.get(model, "NEW-SNAPSHOT")
    path = display_path(use.suite_path)
    if use.kind == "suite":
        return (
            f"compare it with a current snapshot first: `evalkit diff base model={new} {path} "
            "--mode record`, then re-pin it and re-record (`evalkit record`)"
        )
    if use.kind == "server":
        return f"point the entry at a current snapshot (e.g. {new}) once the suites moved"
    if use.kind == "variant":
        return (
            f"add a variant on a current snapshot (e.g. {new}) and compare: `evalkit diff "
            f"{use.variant} NEW_VARIANT {path} --mode record`, then re-pin it and re-record"
        )
    return (
        f"pin the {use.check} check to a current snapshot (e.g. {new}), re-record "
        f"(`evalkit record {path}`) and compare with the last run (`evalkit diff --runs`)"
    )


def notices(
    project: Project, suites: Iterable[Suite] | None = None, today: date | None = None
) -> list[Notice]:
    """Every retiring model of ``suites`` at each line it is pinned, and whether the
    models file is old."""
    day = today or system_today()
    found, models = project_states(project, suites, day)
    settings = project.settings
    out: list[Notice] = []
    if models is not None and models.age_days(day) > STALE_DAYS:
        out.append(
            Notice(
                level="warning",
                message=(
                    f"{MODELS_FILE} was refreshed {models.age_days(day)} days ago "
                    f"({models.refreshed_at:%Y-%m-%d}, over {STALE_DAYS}): shutdowns announced "
                    "since are not in it; run `evalkit models --refresh` and commit it"
                ),
                file=display_path(models_path(settings)),
            )
        )
    for state in found:
        left = state.days_left
        if state.shutdown_date is None or left is None or left > settings.retire_warn_days:
            continue
        on = f"{state.shutdown_date:%Y-%m-%d}"
        if left <= 0:
            said = f"model {state.model} was shut down on {on}: requests to it fail"
        else:
            said = f"model {state.model} shuts down on {on}, in {left} day{'s' * (left != 1)}"
        error = left <= settings.retire_fail_days
        for use in state.uses:
            out.append(
                Notice(
                    level="error" if error else "warning",
                    message=f"{use.what}: {said}; {migration(use, state.model)}",
                    file=display_path(use.file),
                    line=use.line,
                )
            )
    return out


def shut_down_message(settings: Settings, model: str, answered: str) -> str:
    """What a 404 ``model_not_found`` means when the model's shutdown date is known."""
    day = shutdown_for(settings, model)
    if day is None:
        return answered
    return (
        f"model {model} was shut down on {day:%Y-%m-%d} ({answered}); pin a current "
        "snapshot (`evalkit models` lists where it is pinned)"
    )


# -- evalkit models --refresh ----------------------------------------------------------


def _key(server: Server, name: str) -> str | None:
    """The key for a server, as the live engine chooses it: its own variable; else, for
    the default server only, OPENAI_API_KEY (an OpenAI key never goes to another host)."""
    if server.api_key_env:
        value = os.environ.get(server.api_key_env, "").strip()
        if not value:
            raise ConfigError(
                f"server {name!r} of [tool.evalkit.servers] reads its key from "
                f"{server.api_key_env}, which is not set: export it to refresh its models"
            )
        return value
    if server.base_url:
        return NO_KEY
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    if not key:
        raise ConfigError(
            "`evalkit models --refresh` asks the API for its models: set OPENAI_API_KEY (and "
            "OPENAI_BASE_URL for another server); without it, the committed "
            f"{MODELS_FILE} and the bundled dates are used"
        )
    return key


def refresh(project: Project, suites: Iterable[Suite] | None = None) -> Path:
    """Ask each server the used models live on for its models and write models.json
    (other servers' earlier listings are kept)."""
    settings = project.settings
    used = used_models(project, suites)
    names = list(dict.fromkeys(u.server for u in used))
    try:
        old = read_models_file(settings)
    except ConfigError:
        old = None  # a broken file is replaced by the fresh one
    listings = {s.name: s for s in (old.servers if old else [])}
    for name in names:
        pattern = None if name == DEFAULT_SERVER else name
        server = settings.servers[pattern] if pattern else Server()
        base_url = server.base_url or (os.environ.get("OPENAI_BASE_URL") if not pattern else None)
        try:
            listing = list_models(base_url or None, _key(server, name), settings.timeout_s)
        except ConfigError as exc:
            label = "the default server" if pattern is None else f"server {name!r}"
            raise ConfigError(f"{label}: {exc.message}") from None
        listings[name] = ServerListing(
            name=name, answered_by=listing.answered_by, models=listing.models
        )
    models = ModelsFile(
        # on the injected day when there is one (EVALKIT_TODAY), so a rehearsal ages it too
        refreshed_at=datetime.combine(
            system_today(), datetime.now(UTC).time().replace(microsecond=0), UTC
        ),
        servers=sorted(listings.values(), key=lambda s: s.name)[:MAX_SERVERS],
    )
    return write_models_file(settings, models)
