"""What a run of the project's suites would send and cost, before any call: the library
behind ``evalkit estimate``. Opens the project, plans its cases (a variant, or every one),
estimates them against the recordings (:mod:`evalkit.engine.estimate`) and, under a cost
cap, says for each rate whether a run would start. Nothing is sent and nothing is printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Mode
from ..engine.estimate import Estimate, estimate, unknown_price
from ..project.open import open_project
from ..project.recordings import RecordingStore
from ..wire.pricing import Rate

RATES: tuple[Rate, ...] = ("standard", "batch")


@dataclass(frozen=True)
class CapVerdict:
    """Would a run at ``rate`` start under the cap? Only when its upper bound is known and
    at most the cap (the run itself refuses otherwise)."""

    rate: Rate
    upper_usd: float | None  # the run's upper-bound cost at that rate; None: unknown
    cap_usd: float

    @property
    def starts(self) -> bool:
        return self.upper_usd is not None and self.upper_usd <= self.cap_usd


@dataclass(frozen=True)
class ProjectEstimate:
    estimate: Estimate
    cap_usd: float | None = None  # max_cost_usd, from the flag, the environment or pyproject
    verdicts: list[CapVerdict] = field(default_factory=list)  # one per rate, under a cap

    @property
    def unknown_price(self) -> str | None:
        """Why the cap cannot bound a model's spend (the first model without a price)."""
        models = sorted(self.estimate.unknown_prices)
        return unknown_price(models[0]) if models else None


def estimate_project(
    suites: Sequence[str | Path],
    *,
    variant: str | None = None,
    all_variants: bool = False,
    mode: Mode = Mode.RECORD,
    max_cost_usd: float | None = None,
) -> ProjectEstimate:
    """Estimate a run of ``suites`` (default: the project's) under ``mode``: recorded
    requests are not counted unless the mode sends them again (rerecord, live)."""
    overrides: dict[str, Any] = {"max_cost_usd": max_cost_usd}
    project = open_project(suites, overrides)
    planned = (
        project.plan_all_variants() if all_variants else project.plan(variant, only_defining=True)
    )
    settings = project.settings
    store = RecordingStore(settings.snapshots_dir / "recordings")
    found = estimate(planned, settings, store, mode)
    cap = settings.max_cost_usd
    if cap is None:
        return ProjectEstimate(found)
    total = found.total
    verdicts = [CapVerdict(rate, total.cost(rate), cap) for rate in RATES]
    return ProjectEstimate(found, cap, verdicts)
