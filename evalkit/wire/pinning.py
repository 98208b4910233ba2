"""Pinned models: a dated snapshot cannot change under a suite without a commit."""

from __future__ import annotations

import re

_PINNED = re.compile(r"\d{4}-\d{2}-\d{2}|-\d{4}$")
UNPINNED_OK = ("text-embedding-",)  # models OpenAI publishes without dated snapshots


def is_pinned(model: str) -> bool:
    """Whether ``model`` names a dated snapshot (or a model that has none)."""
    return bool(_PINNED.search(model)) or model.startswith(UNPINNED_OK)
