"""Every character YAML refuses is an error at its line, whatever the character and wherever
it sits (a key, a value, a quoted string, a comment)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.io.yamlfile import parse_yaml

REFUSED = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [0x7F, *range(0x80, 0x85)]
DOCUMENT = [
    "suite: triage",
    "description: Route tickets",
    "prompt: triage@v2  # the released one",
    'model: "gpt-5.4-mini-2026-03-17"',
    "cases:",
    "  - id: refund",
    "    vars: {body: 'I was charged twice'}",
]


@pytest.mark.parametrize("code", REFUSED, ids=lambda c: f"U+{c:04X}")
def test_a_refused_character_is_named_at_its_line(code: int) -> None:
    rng = random.Random(code)
    lines = list(DOCUMENT)
    at = rng.randrange(len(lines))
    column = rng.randrange(len(lines[at]) + 1)
    lines[at] = lines[at][:column] + chr(code) + lines[at][column:]
    with pytest.raises(ConfigError) as caught:
        parse_yaml("\n".join(lines) + "\n", Path("suites/triage.yaml"))
    assert caught.value.line == at + 1
    assert f"U+{code:04X}" in caught.value.message
