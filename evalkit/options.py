"""The settings a user can give as flags, and the run modes: what the CLI's arguments and the
pytest plugin's options are built from.

Apart from :mod:`evalkit.config` (which holds the settings' types and bounds and re-exports
these names) so that pytest can load the plugin's options without pydantic, YAML or the
price table: every ``pytest`` run in a project with evalkit installed loads the plugin,
with or without ``--evalkit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Bounds on what a user may ask for: beyond them a typo hangs a run or exhausts memory.
MAX_CONCURRENCY = 1024
MAX_RETRIES = 20
MAX_PROCESSES = 64
# A replay of this many cases or more is shared by up to this many processes by default
# (runs/forked.py): below it, forking costs more than it saves.
AUTO_PROCESSES = 4
AUTO_PROCESSES_FROM = 1000


class Mode(StrEnum):
    """How requests are answered (see engine/answerers.py for what each one does)."""

    REPLAY = "replay"
    RECORD = "record"
    RERECORD = "rerecord"
    LIVE = "live"
    BATCH = "batch"  # record what is not recorded yet through the Batch API (engine/batch.py)

    @property
    def calls_api(self) -> bool:
        return self is not Mode.REPLAY

    @classmethod
    def choices(cls) -> list[str]:
        return [m.value for m in cls]


@dataclass(frozen=True)
class Option:
    """A setting a user can give as a flag (and through the environment)."""

    setting: str
    flag: str  # the CLI's; pytest's is --evalkit-<flag without dashes>
    help: str
    type: Callable[[str], Any] = str
    env: str | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None

    @property
    def pytest_flag(self) -> str:
        return "--evalkit-" + self.flag.removeprefix("--")


OPTIONS: tuple[Option, ...] = (
    Option(
        "mode",
        "--mode",
        "replay (default), record, rerecord, live or batch",
        env="EVALKIT_MODE",
        choices=tuple(Mode.choices()),
    ),
    Option(
        "concurrency",
        "--concurrency",
        f"requests in flight at most (default 16, at most {MAX_CONCURRENCY})",
        int,
        "EVALKIT_CONCURRENCY",
    ),
    Option("timeout_s", "--timeout", "seconds per request (default 60)", float, "EVALKIT_TIMEOUT"),
    Option(
        "max_retries",
        "--max-retries",
        f"retries per request (default 6, at most {MAX_RETRIES})",
        int,
        "EVALKIT_MAX_RETRIES",
    ),
    Option(
        "rpm", "--rpm", "requests per minute (default: learned from the API)", int, "EVALKIT_RPM"
    ),
    Option("tpm", "--tpm", "tokens per minute (default: learned from the API)", int, "EVALKIT_TPM"),
    Option(
        "max_cost_usd",
        "--max-cost",
        "stop before the run's spend could cross this many USD (a run whose upper-bound "
        "estimate is over it does not start)",
        float,
        "EVALKIT_MAX_COST",
        metavar="USD",
    ),
    Option(
        "batch_fallback",
        "--batch-fallback",
        "batch mode: failed or expired requests go into a follow-up batch (default), live, or fail",
        env="EVALKIT_BATCH_FALLBACK",
        choices=("batch", "live", "fail"),
    ),
    Option(
        "batch_rounds",
        "--batch-rounds",
        "batch mode: follow-up batches for failed or expired requests at most (default 3)",
        int,
        "EVALKIT_BATCH_ROUNDS",
    ),
    Option(
        "processes",
        "--processes",
        "replay: processes that share the cases (default: one per CPU, at most "
        f"{AUTO_PROCESSES}, for {AUTO_PROCESSES_FROM:,} cases or more on Linux; 1: one process)",
        int,
        "EVALKIT_PROCESSES",
        metavar="N",
    ),
    Option(
        "results",
        "--results",
        "folder for run results (default .evalkit/runs)",
        env="EVALKIT_RESULTS",
        metavar="DIR",
    ),
)
