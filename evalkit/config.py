"""Settings: ``[tool.evalkit]`` in pyproject.toml, then ``EVALKIT_*`` variables, then flags.

Each setting is defined once: its type and bounds here (:class:`Settings`), its
environment variable and its flag in :mod:`evalkit.options` (:data:`OPTIONS`, with
:class:`Mode`; re-exported here). The CLI builds its arguments and the pytest plugin its
options from :data:`OPTIONS`, so names, choices and help cannot drift; :func:`load_settings`
applies the precedence, and fronts never read the environment.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .io.files import read_text
from .io.redaction import remember as remember_secret_names
from .io.yamlfile import located_error
from .options import MAX_CONCURRENCY, MAX_PROCESSES, MAX_RETRIES
from .options import OPTIONS as OPTIONS  # re-exported: the settings' one import
from .options import Mode as Mode
from .wire.pricing import Price
from .wire.request import Structured

# Bounds on what a user may ask for: beyond them a typo hangs a run or exhausts memory.
MAX_TIMEOUT_S = 3600.0
MAX_RATE = 1_000_000_000
BATCH_MAX_REQUESTS = 50_000  # the Batch API's limits per batch
BATCH_MAX_BYTES = 200 * 1024 * 1024
BatchFallback = Literal["batch", "live", "fail"]


class Server(BaseModel):
    """An OpenAI-compatible server some models live on (``[tool.evalkit.servers]``)."""

    model_config = ConfigDict(extra="forbid")
    base_url: str | None = None
    api_key_env: str | None = None  # the variable holding the key; the key is never in a file
    structured: Structured | None = None  # default output mode of requests sent here
    concurrency: int | None = Field(None, ge=1, le=MAX_CONCURRENCY)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            check_base_url(value, "base_url")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or not value.replace("_", "").isalnum()):
            raise ValueError(
                "api_key_env names an environment variable (LOCAL_KEY), not a key itself"
            )
        if value is not None:
            remember_secret_names([value])  # its value is masked everywhere from now on
        return value


def check_base_url(value: str, what: str) -> None:
    """An http(s) URL with a host, or a ValueError saying so (the key is not echoed)."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{what} must be an http(s) URL such as http://127.0.0.1:8080/v1")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    root: Path = Field(default_factory=Path.cwd, exclude=True)
    suites: Path = Path("suites")
    prompts: Path = Path("prompts")
    snapshots: Path = Path("snapshots")
    results: Path = Path(".evalkit/runs")
    mode: Mode = Mode.REPLAY
    concurrency: int = Field(16, ge=1, le=MAX_CONCURRENCY)
    rpm: int | None = Field(None, ge=1, le=MAX_RATE)
    tpm: int | None = Field(None, ge=1, le=MAX_RATE)
    timeout_s: float = Field(60.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    max_retries: int = Field(6, ge=0, le=MAX_RETRIES)
    retry_base_s: float = Field(0.5, gt=0, le=600, allow_inf_nan=False)  # doubles per retry
    retry_cap_s: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)  # backoff ceiling
    breaker_window: int = Field(20, ge=1, le=100_000)
    breaker_threshold: float = Field(0.5, gt=0, le=1, allow_inf_nan=False)
    prices: dict[str, Price] = {}
    servers: dict[str, Server] = {}
    update_snapshots: bool = False  # --snapshot-update: accept changed output snapshots
    processes: int | None = Field(None, ge=1, le=MAX_PROCESSES)  # replay; None: by size
    # -- batch runs and cost control (engine/batch.py, engine/costcap.py) --
    max_cost_usd: float | None = Field(None, gt=0, allow_inf_nan=False)
    batch_fallback: BatchFallback = "batch"  # failed/expired lines: a follow-up batch, live, fail
    batch_rounds: int = Field(3, ge=0, le=100)  # follow-up batches at most
    batch_poll_s: float = Field(5.0, gt=0, le=3600, allow_inf_nan=False)  # first poll interval
    batch_poll_max_s: float = Field(60.0, gt=0, le=3600, allow_inf_nan=False)  # backoff ceiling
    batch_max_requests: int = Field(BATCH_MAX_REQUESTS, ge=1, le=BATCH_MAX_REQUESTS)
    batch_max_bytes: int = Field(BATCH_MAX_BYTES, ge=1024, le=BATCH_MAX_BYTES)
    # -- models that retire (project/lifecycle.py): days before a shutdown date --
    retire_warn_days: int = Field(90, ge=0, le=3650)  # `evalkit check` and pytest warn
    retire_fail_days: int = Field(14, ge=0, le=3650)  # ... and it is an error

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

    def server_for(self, model: str) -> tuple[str | None, Server]:
        """The first ``servers`` pattern matching ``model`` (in file order), else the
        default server (``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``)."""
        for pattern, server in self.servers.items():
            if fnmatch.fnmatchcase(model, pattern):
                return pattern, server
        return None, Server()

    def structured_for(self, model: str) -> Structured:
        """The output mode a request to ``model`` uses when its suite does not say."""
        return self.server_for(model)[1].structured or "json_schema"

    def secret_names(self) -> tuple[str, ...]:
        """Environment variables holding keys (for redaction)."""
        return tuple(s.api_key_env for s in self.servers.values() if s.api_key_env)


_FOLDER_ENV = {
    "suites": "EVALKIT_SUITES",
    "prompts": "EVALKIT_PROMPTS",
    "snapshots": "EVALKIT_SNAPSHOTS",
}


def env_vars() -> dict[str, str]:
    """Setting → environment variable, for every setting that has one."""
    return {**{o.setting: o.env for o in OPTIONS if o.env}, **_FOLDER_ENV}


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
        data = tomllib.loads(read_text(path, "pyproject.toml"))
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"invalid TOML: {exc}", path, line) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError("`tool` must be a table ([tool.evalkit])", path)
    table = tool.get("evalkit", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.evalkit] must be a table", path)
    return table


def load_settings(root: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings for the project at ``root`` (pyproject < environment < overrides)."""
    values: dict[str, Any] = dict(_pyproject_table(root))
    source = root / "pyproject.toml"
    env = env_vars()
    for field, var in env.items():
        if os.environ.get(var):
            values[field] = os.environ[var]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        settings = Settings(root=root, **values)
    except ValidationError as exc:
        err = located_error(exc, values, source)
        loc = exc.errors()[0]["loc"]
        origin = env.get(str(loc[0])) if loc else None
        hint = f" (from [tool.evalkit], {origin} or a flag)" if origin else ""
        raise ConfigError(f"setting {err.message}{hint}", source) from None
    return settings


_ACTIVATED: list[str] = []  # project roots made importable in this process, in order


def activate_root(root: Path) -> None:
    """Make the project importable, so ``schema:`` and ``python`` checks resolve.

    A process that opens a second project (a test session, a notebook, ``evalkit diff`` of two
    checkouts) must not resolve ``schemas.support`` from the first one's cached ``schemas``
    package: the new root goes first on ``sys.path`` and modules imported from the other
    roots are forgotten (objects already loaded keep working; new imports read this root)."""
    text = str(root)
    if sys.path and sys.path[0] == text:
        return
    if text in sys.path:
        sys.path.remove(text)
    sys.path.insert(0, text)
    others = {r for r in _ACTIVATED if r != text}
    if others:
        for name, module in list(sys.modules.items()):
            if name == "evalkit" or name.startswith("evalkit."):
                continue
            if any(_owner(place) in others for place in _places(module)):
                del sys.modules[name]
        importlib.invalidate_caches()
    if text not in _ACTIVATED:
        _ACTIVATED.append(text)


def _places(module: object) -> list[str]:
    file = getattr(module, "__file__", None) or ""
    return [p for p in [file, *map(str, getattr(module, "__path__", None) or [])] if p]


def _owner(place: str) -> str | None:
    """The most specific import root holding ``place``: a project root, or a folder such as
    site-packages inside it (a virtualenv in the project's folder is not the project)."""
    best: str | None = None
    for entry in [*sys.path, *_ACTIVATED]:
        inside = entry and place.startswith(entry.rstrip(os.sep) + os.sep)
        if inside and (best is None or len(entry) > len(best)):
            best = entry
    return best
