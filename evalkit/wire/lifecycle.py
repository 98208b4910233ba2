"""When a model stops answering: its shutdown date, as a server announces it or as known.

OpenAI shuts pinned snapshots down on announced dates, and its deprecations page says to
watch them through ``GET /v1/models``, whose model objects carry an optional
``shutdown_date`` (``YYYY-MM-DD``, or null when none is announced). :func:`list_models`
asks a server that through the official SDK (``client.models.list()``) and keeps what it
said as typed :class:`ModelLifecycle` entries, bounded and validated: a server is
untrusted input.

:data:`KNOWN_SHUTDOWNS` is the fallback when no server has been asked (offline CI without
a ``snapshots/models.json``, a model the server did not list): the dates OpenAI's
deprecations page announced, checked there in December 2026 —

- 2026-07-23: the legacy preview snapshots (``computer-use-preview``, the audio and search
  previews, the deep-research snapshots);
- 2026-10-23: ``gpt-3.5-turbo-0125``, ``gpt-4-0613``, ``gpt-4-turbo``, ``gpt-4o-2024-05-13``,
  ``o1``, ``o1-pro``, ``o3-mini``, ``o4-mini``, ``gpt-4.1-nano``;
- 2026-12-11: GPT-5 (``gpt-5``, ``-mini``, ``-nano``, ``-pro``) and o3 (``o3``, ``o3-pro``);
- 2027-01-14: ``gpt-4o-2024-08-06``, ``gpt-4o-2024-11-20``, ``gpt-4o-mini-2024-07-18``,
  ``gpt-4.1-2025-04-14``, ``gpt-4.1-mini-2025-04-14``;
- 2027-04-01: ``gpt-5.1-2025-11-13`` and ``gpt-5.4-nano-2026-03-17``.

The page names undated successors (the GPT-6 family) with no dated snapshot a suite could
pin; :data:`SUGGESTED` names, for the snapshots evalkit's own example used, a dated
snapshot with no announced shutdown that the example moved to (a suggestion to try in the
dual run, not OpenAI's word).

"Today" is injectable (``EVALKIT_TODAY=YYYY-MM-DD``, or a parameter), so a test or a CI
rehearsal can ask what a run on a later day would say.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError

Status = Literal["active", "retiring", "retired", "unknown"]
TODAY_ENV = "EVALKIT_TODAY"
MAX_MODELS = 5000  # models kept from one server's list (OpenAI lists about 100)
MAX_ID = 200  # characters of a model id


def _dates(when: str, *models: str) -> dict[str, date]:
    day = date.fromisoformat(when)
    return dict.fromkeys(models, day)


KNOWN_SHUTDOWNS: dict[str, date] = {
    **_dates(
        "2026-07-23",
        "computer-use-preview",
        "computer-use-preview-2025-03-11",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-mini-audio-preview-2024-12-17",
        "gpt-4o-mini-search-preview-2025-03-11",
        "gpt-4o-search-preview-2025-03-11",
        "o3-deep-research",
        "o3-deep-research-2025-06-26",
        "o4-mini-deep-research",
        "o4-mini-deep-research-2025-06-26",
    ),
    **_dates(
        "2026-10-23",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0125",
        "gpt-4",
        "gpt-4-0613",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4o-2024-05-13",
        "o1",
        "o1-2024-12-17",
        "o1-pro",
        "o1-pro-2025-03-19",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o4-mini",
        "o4-mini-2025-04-16",
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
    ),
    **_dates(
        "2026-12-11",
        "gpt-5",
        "gpt-5-2025-08-07",
        "gpt-5-mini",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano",
        "gpt-5-nano-2025-08-07",
        "gpt-5-pro",
        "gpt-5-pro-2025-10-06",
        "o3",
        "o3-2025-04-16",
        "o3-pro",
        "o3-pro-2025-06-10",
    ),
    **_dates(
        "2027-01-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-11-20",
        "gpt-4o-mini-2024-07-18",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
    ),
    **_dates("2027-04-01", "gpt-5.1-2025-11-13", "gpt-5.4-nano-2026-03-17"),
}

SUGGESTED: dict[str, str] = {
    "gpt-4.1-mini-2025-04-14": "gpt-5.4-mini-2026-03-17",
    "gpt-5-mini-2025-08-07": "gpt-5.4-mini-2026-03-17",
    "gpt-4o-mini-2024-07-18": "gpt-5.4-mini-2026-03-17",
    "gpt-4.1-2025-04-14": "gpt-5.5-2026-04-23",
    "gpt-4o-2024-08-06": "gpt-5.5-2026-04-23",
    "gpt-4o-2024-11-20": "gpt-5.5-2026-04-23",
    "gpt-5-2025-08-07": "gpt-5.5-2026-04-23",
}


class ModelLifecycle(BaseModel):
    """One model as a server listed it (or as the bundled table knows it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID)
    shutdown_date: date | None = None


def known_shutdown(model: str) -> date | None:
    """The announced shutdown date of ``model`` from the bundled table, if any."""
    return KNOWN_SHUTDOWNS.get(model)


def days_left(shutdown: date | None, today: date) -> int | None:
    """Days from ``today`` to the shutdown (0 or less: it is shut down)."""
    return None if shutdown is None else (shutdown - today).days


def status_of(shutdown: date | None, today: date, warn_days: int, listed: bool) -> Status:
    """``retired`` on or after the shutdown day, ``retiring`` within ``warn_days`` of it,
    ``active`` when a date is further off or a server listed the model with none, else
    ``unknown`` (nobody said)."""
    left = days_left(shutdown, today)
    if left is None:
        return "active" if listed else "unknown"
    if left <= 0:
        return "retired"
    return "retiring" if left <= warn_days else "active"


def today(env: Mapping[str, str] | None = None) -> date:
    """``EVALKIT_TODAY`` (``YYYY-MM-DD``) when set, else the system's date."""
    value = (os.environ if env is None else env).get(TODAY_ENV, "").strip()
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{TODAY_ENV}={value[:40]!r} is not a date: write it as YYYY-MM-DD, or unset it"
        ) from None


def parse_date(value: object) -> date | None:
    """A server's ``shutdown_date``: ``YYYY-MM-DD`` (or a Unix time, as some servers send);
    anything else is no date."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2**33:
        return date.fromtimestamp(value)
    return None


def parse_models(data: object) -> list[ModelLifecycle]:
    """A ``GET /v1/models`` listing's model objects (as dicts) → bounded, typed entries;
    entries without a usable id are left out."""
    if not isinstance(data, list):
        return []
    out: dict[str, ModelLifecycle] = {}
    for item in data[:MAX_MODELS]:
        if not isinstance(item, Mapping):
            continue
        model = item.get("id")
        if not isinstance(model, str) or not model.strip() or len(model) > MAX_ID:
            continue
        out[model] = ModelLifecycle(id=model, shutdown_date=parse_date(item.get("shutdown_date")))
    return sorted(out.values(), key=lambda m: m.id)


class Listing(BaseModel):
    """What one server said: its models and who answered (the testing server says so)."""

    models: list[ModelLifecycle]
    answered_by: str


def list_models(base_url: str | None, api_key: str | None, timeout_s: float) -> Listing:
    """Ask one server ``GET /v1/models`` through the official SDK. Raises ConfigError
    with the server's answer (redacted by the caller's sink) when it cannot be asked."""
    import openai  # the SDK only when a server is asked: ``evalkit check`` stays offline

    try:
        client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=2)
        raw = client.models.with_raw_response.list()
        page = raw.parse()
    except openai.APIStatusError as exc:
        raise ConfigError(
            f"GET /v1/models answered {exc.status_code}: {str(exc.message)[:200]}"
        ) from None
    except openai.APIConnectionError as exc:
        raise ConfigError(f"GET /v1/models: could not connect ({exc.__cause__ or exc})") from None
    except openai.OpenAIError as exc:
        raise ConfigError(
            f"cannot ask for the models: {str(exc)[:200]}; set OPENAI_API_KEY (and "
            "OPENAI_BASE_URL for another server)"
        ) from None
    items = [m.model_dump() for m in page.data[:MAX_MODELS]]
    marker = raw.headers.get("x-evalkit-testing-server")
    host = raw.http_request.url.host
    return Listing(models=parse_models(items), answered_by=str(marker or host))
