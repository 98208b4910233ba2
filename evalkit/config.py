"""Settings: ``[tool.evalkit]`` in pyproject.toml, then ``EVALKIT_*`` variables, then flags.

That precedence is applied in one place, :func:`load_settings`; fronts pass the flags they
parsed as ``overrides`` and never read the environment themselves.
"""

from __future__ import annotations

import os
import sys
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError


class Mode(StrEnum):
    REPLAY = "replay"
    RECORD = "record"
    RERECORD = "rerecord"
    LIVE = "live"

    @property
    def calls_api(self) -> bool:
        return self is not Mode.REPLAY


class Price(BaseModel):
    """USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid")
    input: float
    output: float = 0.0
    cached_input: float | None = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    suites: Path = Path("suites")
    prompts: Path = Path("prompts")
    snapshots: Path = Path("snapshots")
    results: Path = Path(".evalkit/runs")
    mode: Mode = Mode.REPLAY
    concurrency: int = Field(16, ge=1)
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(6, ge=0)
    retry_base_s: float = Field(0.5, gt=0)  # first backoff ceiling; doubles per retry
    retry_cap_s: float = Field(30.0, gt=0)  # backoff ceiling
    breaker_window: int = Field(20, ge=1)
    breaker_threshold: float = Field(0.5, gt=0, le=1)
    prices: dict[str, Price] = {}
    update_snapshots: bool = False  # --snapshot-update: accept changed output snapshots

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.root / p

    @property
    def suites_dir(self) -> Path:
        return self.path(self.suites)

    @property
    def prompts_dir(self) -> Path:
        return self.path(self.prompts)

    @property
    def snapshots_dir(self) -> Path:
        return self.path(self.snapshots)

    @property
    def results_dir(self) -> Path:
        return self.path(self.results)


_ENV = {
    "mode": "EVALKIT_MODE",
    "concurrency": "EVALKIT_CONCURRENCY",
    "rpm": "EVALKIT_RPM",
    "tpm": "EVALKIT_TPM",
    "timeout_s": "EVALKIT_TIMEOUT",
    "max_retries": "EVALKIT_MAX_RETRIES",
    "results": "EVALKIT_RESULTS",
    "suites": "EVALKIT_SUITES",
    "prompts": "EVALKIT_PROMPTS",
    "snapshots": "EVALKIT_SNAPSHOTS",
}


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding a pyproject.toml, else the cwd."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return Path.cwd().resolve()


def _pyproject_table(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path) from None
    table = data.get("tool", {}).get("evalkit", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.evalkit] must be a table", path)
    return table


def load_settings(root: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings for the project at ``root`` (pyproject < environment < overrides)."""
    values: dict[str, Any] = dict(_pyproject_table(root))
    source = root / "pyproject.toml"
    for field, var in _ENV.items():
        if os.environ.get(var):
            values[field] = os.environ[var]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        settings = Settings(root=root, **values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        origin = _ENV.get(str(err["loc"][0])) if err["loc"] else None
        hint = f" (from [tool.evalkit] in {source}, {origin} or a flag)" if origin else ""
        raise ConfigError(f"setting {where!r}: {err['msg']}{hint}", source) from None
    return settings


def activate_root(root: Path) -> None:
    """Make the project importable, so ``schema:`` and ``python`` checks resolve."""
    text = str(root)
    if text not in sys.path:
        sys.path.insert(0, text)
