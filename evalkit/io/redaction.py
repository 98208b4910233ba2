"""Secrets never leave evalkit: one redaction step for every text it prints or writes.

Server error bodies quote Authorization headers, httpx quotes an illegal header value with
the key inside, and a base URL can carry ``user:password@``. Rather than trusting each
message source, every outward text (terminal, results file, junit XML, reports,
recordings) passes through :func:`redact`, which removes every secret evalkit knows of:

- the values of ``OPENAI_API_KEY`` and of every environment variable whose name says it
  holds a secret (``*KEY*``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*CRED*``);
- the values of every variable evalkit was told holds a key (:func:`remember`): settings
  register each server's ``api_key_env`` the moment they are read, so a name that says
  nothing (``LLM_SESAME``) is known to every redactor of the process, whichever front,
  command or sink made it, plus any extra names given;
- credentials inside URLs (``https://user:pass@host`` → ``https://***@host``);
- anything shaped like a bearer token or an OpenAI key (``Bearer …``, ``sk-…``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

MASK = "***"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CRED", re.IGNORECASE)
_MIN_SECRET = 8  # shorter values (a "1" in SOME_KEY_COUNT) would mask ordinary text
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"]+@")
_TOKEN_SHAPES = re.compile(
    r"(?i)(?P<prefix>bearer\s+)[A-Za-z0-9._~+/=-]{6,}|\bsk-[A-Za-z0-9_-]{8,}"
)


_REMEMBERED: set[str] = set()  # variable names settings said hold a key (api_key_env)


def remember(names: Iterable[str]) -> None:
    """Say that these environment variables hold keys: every redactor of this process masks
    their values from now on (a redactor made earlier notices at its next call)."""
    new = {n for n in names if isinstance(n, str) and n} - _REMEMBERED
    if new:
        _REMEMBERED.update(new)


def remembered() -> frozenset[str]:
    return frozenset(_REMEMBERED)


def known_secrets(extra_names: Iterable[str] = ()) -> frozenset[str]:
    """The secret values in this process's environment right now."""
    values: set[str] = set()
    extra_names = set(extra_names) | _REMEMBERED
    for name, value in os.environ.items():
        if name == "OPENAI_API_KEY" or _SECRET_NAME.search(name) or name in extra_names:
            for candidate in (value, value.strip()):
                if len(candidate) >= _MIN_SECRET:
                    values.add(candidate)
    for name in extra_names:
        value = os.environ.get(name, "").strip()
        if len(value) >= _MIN_SECRET:
            values.add(value)
    return frozenset(values)


@functools.lru_cache(maxsize=32)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    # longest first, so a key that contains another is masked whole
    return re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))


class Redactor:
    """The secrets of the environment as it is now, compiled once: for a writer that
    redacts every line it writes (a results file of 100,000 lines)."""

    def __init__(self, extra_names: Iterable[str] = ()):
        self.extra = tuple(extra_names)
        self._compile()

    def _compile(self) -> None:
        self.names = len(_REMEMBERED)
        self.secrets = known_secrets(self.extra)
        self.pattern = _pattern(self.secrets)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self.names != len(_REMEMBERED):  # settings named another key variable since
            self._compile()
        if self.pattern is not None and any(s in text for s in self.secrets):
            text = self.pattern.sub(MASK, text)
        if "@" in text and "://" in text:
            text = _URL_CREDENTIALS.sub(lambda m: m["scheme"] + MASK + "@", text)
        if "sk-" in text or "earer" in text or "EARER" in text:
            text = _TOKEN_SHAPES.sub(lambda m: (m["prefix"] or "") + MASK, text)
        return text


def redact(text: str, extra_names: Iterable[str] = ()) -> str:
    """``text`` with every known secret replaced by ``***``."""
    return Redactor(extra_names)(text) if text else text
