"""openai/evals samples read as evalkit cases: the checks per ``match``, vars by message
position, stable ids, bad lines named, and what a samples file looks like."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import ConfigError
from evalkit.project.evals_samples import (
    case_id,
    check_for,
    evals_rows,
    is_evals_samples,
    position_names,
    read_samples,
)

SYSTEM = "You are a geography quiz. Answer with the city name only."
SAMPLES = [
    {
        "input": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Capital of France?"},
        ],
        "ideal": "Paris",
    },
    {
        "input": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Capital of Japan?"},
        ],
        "ideal": ["Tokyo", "Tōkyō"],
    },
    {"input": "Capital of Peru?", "ideal": "Lima", "meta": 1},
]


def write_samples(path: Path, samples: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    return path


@pytest.mark.parametrize(
    ("match", "ideals", "expected"),
    [
        ("exact", ("Paris",), {"type": "equals", "value": "Paris"}),
        ("exact", ("a", "b"), {"type": "one_of", "values": ["a", "b"]}),
        ("starts_with", ("Paris",), {"type": "starts_with", "value": "Paris"}),
        ("starts_with", ("A.", "B"), {"type": "regex", "value": r"\A(?:A\.|B)"}),
        ("includes", ("Paris",), {"type": "contains", "value": "Paris"}),
        ("includes", ("x+", "y"), {"type": "regex", "value": r"(?:x\+|y)"}),
    ],
)
def test_match_modes(match: str, ideals: tuple[str, ...], expected: dict[str, Any]) -> None:
    assert check_for(ideals, match) == expected


def test_evals_rows_for_cases_from(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "samples.jsonl", SAMPLES)
    rows = evals_rows(samples, "starts_with")
    assert [line for _, _, line in rows] == [1, 2, 3]
    first, path, _ = rows[0]
    assert path == samples
    assert first["vars"]["system"] == SYSTEM and first["vars"]["user"] == "Capital of France?"
    assert first["vars"]["messages"][1] == {"role": "user", "content": "Capital of France?"}
    assert first["assert"] == [{"type": "starts_with", "value": "Paris"}]
    ids = [row["id"] for row, _, _ in rows]
    assert len(set(ids)) == 3
    # ids do not depend on the order of the samples (recordings are per case id)
    reordered = write_samples(tmp_path / "reordered.jsonl", [SAMPLES[2], SAMPLES[0], SAMPLES[1]])
    assert sorted(row["id"] for row, _, _ in evals_rows(reordered)) == sorted(ids)


def test_evals_rows_load_as_evalkit_cases(tmp_path: Path) -> None:
    """The rows pass evalkit's own case validation, as the suite loader will use them."""
    from evalkit.project.rawsuite import RawCase

    for row, _, _ in evals_rows(write_samples(tmp_path / "s.jsonl", SAMPLES)):
        RawCase.model_validate(row)


def test_recognising_samples_files(tmp_path: Path) -> None:
    samples = write_samples(tmp_path / "samples.jsonl", SAMPLES)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "a", "vars": {"input": "x"}, "expect": {}}) + "\n")
    assert is_evals_samples(samples)
    assert not is_evals_samples(cases)
    assert not is_evals_samples(tmp_path / "missing.jsonl")


def test_a_string_input_is_one_system_message_and_extras_are_kept_for_notes(
    tmp_path: Path,
) -> None:
    named = {"input": [{"role": "user", "content": "hi", "name": "example_user"}], "ideal": "x"}
    samples = read_samples(write_samples(tmp_path / "s.jsonl", [*SAMPLES, named]))
    assert samples[2].messages == (("system", "Capital of Peru?"),)
    assert samples[2].extra_keys == ("meta",)
    assert samples[3].named_messages and not samples[0].named_messages
    assert [s.line for s in samples] == [1, 2, 3, 4]


def test_position_names_number_repeated_roles() -> None:
    assert position_names(["system", "user", "assistant", "user", "user"]) == [
        "system",
        "user",
        "assistant",
        "user_2",
        "user_3",
    ]


def test_case_ids_are_words_and_a_hash_of_the_input() -> None:
    (sample,) = read_samples_from([{"input": "What is 2 + 2?!", "ideal": "4"}])
    words, digest = case_id(sample).rsplit("-", 1)
    assert words == "what-is-2-2" and len(digest) == 6
    (empty,) = read_samples_from([{"input": "???", "ideal": "4"}])
    assert case_id(empty).startswith("sample-")


def read_samples_from(rows: list[dict[str, Any]]) -> list[Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return read_samples(write_samples(Path(folder) / "s.jsonl", rows))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"input": "x"}', "s.jsonl:1: a sample is"),
        ("[1]", "s.jsonl:1: a sample is"),
        ('{"input": "x", "ideal": []}', "s.jsonl:1: `ideal` is an empty list"),
        ('{"input": [], "ideal": "y"}', "s.jsonl:1: `input` must be a string or a list"),
        ('{"input": [{"content": "x"}], "ideal": "y"}', "needs a role and content"),
        ('{"input": [{"role": "user", "content": 5}], "ideal": "y"}', "content must be text"),
    ],
)
def test_bad_samples_name_the_line(line: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError, match=message.replace("[", "\\[")):
        read_samples(path)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="samples file not found"):
        read_samples(tmp_path / "none.jsonl")
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match=r"b\.jsonl:1: not UTF-8"):
        read_samples(binary)
    assert not is_evals_samples(binary)


def test_unknown_match_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown match 'fuzzy'"):
        check_for(("a",), "fuzzy")
