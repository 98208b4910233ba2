"""Dated OpenAI model snapshots that exist, so a hint never invents one.

The ids are the dated ones the official SDK lists (``openai.types.shared.ChatModel`` and
``ResponsesModel``, generated from OpenAI's API spec; checked against OpenAI's model pages),
as of openai 3.57. tests/wire/test_model_ids.py compares them with the installed SDK. Some
have announced shutdown dates (``evalkit models`` knows them from the API): a hint names
the newest snapshot of a model first.
"""

from __future__ import annotations

import re

SNAPSHOTS = frozenset(
    {
        "computer-use-preview-2025-03-11",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-16k-0613",
        "gpt-4-0314",
        "gpt-4-0613",
        "gpt-4-32k-0314",
        "gpt-4-32k-0613",
        "gpt-4-turbo-2024-04-09",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-05-13",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-11-20",
        "gpt-4o-audio-preview-2024-10-01",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-mini-audio-preview-2024-12-17",
        "gpt-4o-mini-search-preview-2025-03-11",
        "gpt-4o-search-preview-2025-03-11",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "gpt-5-pro-2025-10-06",
        "gpt-5.1-2025-11-13",
        "gpt-5.2-2025-12-11",
        "gpt-5.2-pro-2025-12-11",
        "gpt-5.4-mini-2026-03-17",
        "gpt-5.4-nano-2026-03-17",
        "gpt-5.5-2026-04-23",
        "gpt-5.5-pro-2026-04-23",
        "gpt-audio-mini-2025-12-15",
        "o1-2024-12-17",
        "o1-mini-2024-09-12",
        "o1-preview-2024-09-12",
        "o1-pro-2025-03-19",
        "o3-2025-04-16",
        "o3-deep-research-2025-06-26",
        "o3-mini-2025-01-31",
        "o3-pro-2025-06-10",
        "o4-mini-2025-04-16",
        "o4-mini-deep-research-2025-06-26",
    }
)

_DATE = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def alias_of(model: str) -> str:
    """``gpt-4o-2024-11-20`` → ``gpt-4o`` (a model without a date is its own alias)."""
    return _DATE.sub("", model)


def snapshots_of(alias: str) -> list[str]:
    """The dated snapshots of ``alias`` that exist, newest first (none: an empty list)."""
    found = [s for s in SNAPSHOTS if alias_of(s) == alias]
    return sorted(found, key=_order, reverse=True)


def _order(model: str) -> str:
    date = _DATE.search(model)
    stamp = date.group(1) if date else ""
    return stamp if "-" in stamp else f"20??-{stamp[:2]}-{stamp[2:]}"  # MMDD: oldest
