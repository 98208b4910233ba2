"""openai/evals ``samples.jsonl`` files read as evalkit cases (``cases_from``, ``format:
openai-evals``), and the rules ``evalkit import openai-evals`` builds on.

A sample is ``{"input": <chat messages or a string>, "ideal": <a string or a list>}``; as in
openai/evals, a string input is one system message. Each sample becomes a case whose vars
hold every message by position name (the role, then ``user_2`` for a role's second
message), the whole ``messages`` list and the raw ``input``, so both an imported template
and a generic ``{% for m in messages %}`` template render from them. ``ideal`` becomes the
check of the openai/evals class chosen with ``match``:

- ``exact``: ``equals`` (a list of ideals: ``one_of``);
- ``starts_with`` (evals' ``Match``): ``starts_with`` (a list: a regex of alternatives);
- ``includes`` (evals' ``Includes``): ``contains`` (a list: a regex of alternatives).

Case ids are stable under inserted or reordered samples (recordings are kept per case id):
words of the last user message and a hash of the whole input. A bad line is a ConfigError
naming the file and the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io.files import open_text, read_text
from ..io.jsonfile import loads_bounded
from ..wire.messages import ROLES

MATCHES = ("exact", "starts_with", "includes")


@dataclass(frozen=True)
class Sample:
    messages: tuple[tuple[str, str], ...]  # (role, content)
    raw_input: Any
    ideals: tuple[str, ...]
    line: int
    extra_keys: tuple[str, ...] = ()  # keys besides input and ideal (not carried)
    named_messages: bool = False  # messages with a `name` field (dropped)


def _messages(value: Any, path: Path, line: int) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        return (("system", value),)
    if isinstance(value, list) and value:
        out = []
        for message in value:
            if not isinstance(message, dict) or "role" not in message:
                raise ConfigError("each input message needs a role and content", path, line)
            role, content = str(message["role"]), message.get("content", "")
            if role not in ROLES:
                raise ConfigError(
                    f"input message role {role!r}: evalkit prompts hold {', '.join(ROLES)}",
                    path,
                    line,
                )
            if not isinstance(content, str):
                raise ConfigError("input message content must be text", path, line)
            out.append((role, content))
        return tuple(out)
    raise ConfigError("`input` must be a string or a list of chat messages", path, line)


def read_samples(path: Path) -> list[Sample]:
    """Every sample of a samples.jsonl file; ConfigError with the line for a bad one."""
    if not path.is_file():
        raise ConfigError(f"samples file not found: {path}")
    text = read_text(path, "samples file")
    samples: list[Sample] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        row = loads_bounded(raw, path, number, what="this line")
        if not isinstance(row, dict) or "input" not in row or "ideal" not in row:
            raise ConfigError(
                'a sample is {"input": ..., "ideal": ...}; this line lacks one', path, number
            )
        ideal = row["ideal"]
        ideals = tuple(str(i) for i in ideal) if isinstance(ideal, list) else (str(ideal),)
        if not ideals:
            raise ConfigError("`ideal` is an empty list", path, number)
        named = isinstance(row["input"], list) and any(
            isinstance(m, dict) and "name" in m for m in row["input"]
        )
        samples.append(
            Sample(
                messages=_messages(row["input"], path, number),
                raw_input=row["input"],
                ideals=ideals,
                line=number,
                extra_keys=tuple(sorted(set(row) - {"input", "ideal"})),
                named_messages=named,
            )
        )
    if not samples:
        raise ConfigError("the samples file holds no samples", path)
    return samples


def position_names(roles: list[str]) -> list[str]:
    """Variable names for message positions: the role, then role_2, role_3..."""
    seen: dict[str, int] = {}
    names = []
    for role in roles:
        seen[role] = seen.get(role, 0) + 1
        names.append(role if seen[role] == 1 else f"{role}_{seen[role]}")
    return names


def check_for(ideals: tuple[str, ...], match: str) -> dict[str, Any]:
    """The evalkit assertion for a sample's ideal answer(s)."""
    if match not in MATCHES:
        raise ConfigError(f"unknown match {match!r}: use {', '.join(MATCHES)}")
    if len(ideals) == 1:
        kind = {"exact": "equals", "starts_with": "starts_with", "includes": "contains"}[match]
        return {"type": kind, "value": ideals[0]}
    if match == "exact":
        return {"type": "one_of", "values": list(ideals)}
    alternatives = "|".join(re.escape(i) for i in ideals)
    prefix = r"\A" if match == "starts_with" else ""
    return {"type": "regex", "value": f"{prefix}(?:{alternatives})"}


def _words(text: str) -> str:
    """Lower-case letters and digits joined by dashes (an id's readable part)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].rstrip("-") or "sample"


def case_id(sample: Sample) -> str:
    """Words of the last user message and a hash of the whole input."""
    users = [content for role, content in sample.messages if role == "user"]
    words = _words((users or [sample.messages[-1][1]])[-1][:60])
    digest = hashlib.sha256(
        json.dumps(sample.raw_input, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:6]
    return f"{words}-{digest}"


def unique_ids(samples: list[Sample]) -> list[str]:
    """Each sample's :func:`case_id`, numbered when two samples share one."""
    ids: list[str] = []
    seen: dict[str, int] = {}
    for sample in samples:
        base = case_id(sample)
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def all_vars(sample: Sample) -> dict[str, Any]:
    """Every variable a template over samples may use: each position by role name, the
    whole ``messages`` list and the raw ``input``."""
    names = position_names([role for role, _ in sample.messages])
    out: dict[str, Any] = dict(zip(names, (c for _, c in sample.messages), strict=True))
    out["messages"] = [{"role": r, "content": c} for r, c in sample.messages]
    out["input"] = sample.raw_input
    return out


def evals_rows(path: Path, match: str = "exact") -> list[tuple[dict[str, Any], Path, int]]:
    """The samples as evalkit case rows ``({"id", "vars", "assert"}, file, line)``."""
    samples = read_samples(path)
    rows: list[tuple[dict[str, Any], Path, int]] = []
    for sample, identifier in zip(samples, unique_ids(samples), strict=True):
        row = {
            "id": identifier,
            "vars": all_vars(sample),
            "assert": [check_for(sample.ideals, match)],
        }
        rows.append((row, path, sample.line))
    return rows


def is_evals_samples(path: Path) -> bool:
    """A ``.jsonl`` whose first row has ``input`` and ``ideal`` (and no evalkit ``vars``)."""
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    try:
        with open_text(path, "samples file") as handle:
            for raw in handle:
                if raw.strip():
                    row = loads_bounded(raw, path)
                    return (
                        isinstance(row, dict)
                        and {"input", "ideal"} <= set(row)
                        and "vars" not in row
                    )
    except (OSError, ValueError, UnicodeDecodeError, ConfigError):
        return False
    return False
