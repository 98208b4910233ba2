"""Shards: ``--shard K/N`` (``--evalkit-shard K/N`` under pytest) runs a stable 1/N share
of the cases, so a CI matrix of N machines splits a big suite and a final job reports on
the union of their run folders (``evalkit report RUN...``, ``evalkit diff --runs``).

The share is decided by a hash of ``suite::case`` (SHA-256, never Python's per-process
``hash()``), so it is the same on every machine, in every process and in every run: a case
and all its variants land on the same shard, the base branch's run of a case on the same
shard as the head's, and adding a case moves no other case. Both fronts read the flag's
name, help and parsing from here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..errors import ConfigError

FLAG = "--shard"
PYTEST_FLAG = "--evalkit-shard"
METAVAR = "K/N"
HELP = (
    "run only shard K of N (1 <= K <= N): a stable share of the cases by suite and case id, "
    "for CI matrices; report on the union with `evalkit report RUN...`"
)
MAX_SHARDS = 10_000  # beyond this a typo, not a CI matrix

_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    index: int  # K, from 1
    total: int  # N

    @classmethod
    def parse(cls, text: str, flag: str = FLAG) -> Shard:
        """``"2/4"`` → Shard(2, 4); anything else is a ConfigError saying what to write."""
        match = _FORM.fullmatch(text or "")
        if match is None:
            raise ConfigError(
                f"{flag} {text!r}: write K/N, shard K of N, such as 2/4 (K from 1 to N)"
            )
        index, total = int(match[1]), int(match[2])
        if not 1 <= total <= MAX_SHARDS:
            raise ConfigError(f"{flag} {text!r}: N must be from 1 to {MAX_SHARDS:,}")
        if not 1 <= index <= total:
            raise ConfigError(
                f"{flag} {text!r}: K must be from 1 to {total} (shards are numbered from 1)"
            )
        return cls(index, total)

    @classmethod
    def parse_optional(cls, text: str | None, flag: str = FLAG) -> Shard | None:
        return None if text is None else cls.parse(text, flag)

    def owns(self, suite: str, case: str) -> bool:
        """Whether case ``case`` of suite ``suite`` (any variant) is in this shard."""
        return bucket(suite, case, self.total) == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def bucket(suite: str, case: str, total: int) -> int:
    """The shard (from 0) of ``suite::case`` among ``total``: stable everywhere."""
    digest = hashlib.sha256(f"{suite}::{case}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total
