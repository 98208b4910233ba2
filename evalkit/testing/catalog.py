"""The testing server's model list: what ``GET /v1/models`` announces, shutdown dates
included, and which models it refuses as shut down.

OpenAI's list carries each model's optional ``shutdown_date`` (``YYYY-MM-DD``, null when
none is announced), and a request to a model past its shutdown is answered 404 with code
``model_not_found`` ("The model ... has been deprecated"). The catalog does both, so
``evalkit models --refresh`` and the live engine's handling of a retired model can be tried
offline. It refuses only on or after its ``today`` (``None``: it refuses nothing, so a
test's server never changes with the calendar; ``python -m evalkit.testing`` passes the
real date or ``--today``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ..wire.lifecycle import KNOWN_SHUTDOWNS
from .answer import CREATED
from .errors import APIError

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-2025-04-14",
    "gpt-5.4-mini-2026-03-17",
    "gpt-5.5-2026-04-23",
    "text-embedding-3-small",
    "text-embedding-3-large",
)


class Catalog:
    """The models a server lists, each with its shutdown date (or none)."""

    def __init__(
        self,
        models: Iterable[str] = DEFAULT_MODELS,
        shutdowns: Mapping[str, date | str] | None = None,
        today: date | None = None,
    ):
        """``shutdowns``: model → date announced (default: OpenAI's announced dates, for
        the models listed); a model named there only is listed too."""
        given = dict(shutdowns) if shutdowns is not None else None
        listed = list(dict.fromkeys([*models, *(given or {})]))
        table = given if given is not None else KNOWN_SHUTDOWNS
        self.shutdowns: dict[str, date | None] = {
            m: _day(table[m]) if m in table else None for m in listed
        }
        self.today = today

    def listing(self) -> list[dict[str, Any]]:
        return [
            {
                "id": model,
                "object": "model",
                "created": CREATED,
                "owned_by": "evalkit",
                "shutdown_date": day.isoformat() if day else None,
            }
            for model, day in self.shutdowns.items()
        ]

    def refuse(self, model: str) -> None:
        """A request to a model shut down by ``today`` is answered as OpenAI answers it."""
        day = self.shutdowns.get(model)
        if self.today is not None and day is not None and day <= self.today:
            raise APIError(
                404,
                f"The model `{model}` has been deprecated, learn more here: "
                "https://platform.openai.com/docs/deprecations",
                "invalid_request_error",
                None,
                "model_not_found",
            )


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
