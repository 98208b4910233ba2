"""promptfoo assertions → evalkit assertions: :class:`AssertionMapper` maps one at a time
(:mod:`.mapper`), by type (:mod:`.rules`, :mod:`.graded`, :mod:`.tools`, :mod:`.generated`,
:mod:`.javascript`); CSV ``__expected`` cells are read by :mod:`.expected`."""

from __future__ import annotations

from ....errors import NeedsCase, NotCarried
from .common import Item, MapContext
from .expected import assertion_from_string
from .mapper import AssertionMapper

__all__ = [
    "AssertionMapper",
    "Item",
    "MapContext",
    "NeedsCase",
    "NotCarried",
    "assertion_from_string",
]
