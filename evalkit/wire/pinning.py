"""Pinned models: a dated snapshot cannot change under a suite without a commit.

A hint for an unpinned model names only snapshots that exist (wire/model_ids.py), or none:
a made-up id ("gpt-4o-2025-04-14") would fail at the first call.
"""

from __future__ import annotations

import re

from .model_ids import snapshots_of

_PINNED = re.compile(r"\d{4}-\d{2}-\d{2}|-\d{4}$")
UNPINNED_OK = ("text-embedding-",)  # models OpenAI publishes without dated snapshots


def is_pinned(model: str) -> bool:
    """Whether ``model`` names a dated snapshot (or a model that has none)."""
    return bool(_PINNED.search(model)) or model.startswith(UNPINNED_OK)


def pin_hint(model: str) -> str:
    """How to pin ``model``: its real dated snapshots, newest first, or where to look."""
    known = snapshots_of(model)
    if not known:
        return "use a dated snapshot from the provider's model list"
    others = f" (or {', '.join(repr(k) for k in known[1:])})" if len(known) > 1 else ""
    return f"use a dated snapshot such as {known[0]!r}{others}"
