"""Suites as YAML a person reviews, with comments, that parse back to the same data."""

from __future__ import annotations

import random

import pytest
import yaml

from evalkit.importers.yamlout import Comment, document


def test_yaml_document_round_trips_with_comments() -> None:
    doc = {
        "suite": "s",
        Comment("a note"): None,
        "vars": {"text": "two\nlines", "yes": "yes", "date": "2024-01-01"},
        "cases": [
            {"id": "a", "assert": [Comment("left out: x"), {"type": "contains", "value": "a: b"}]},
        ],
    }
    text = document(doc, ["# header"])
    assert text.startswith("# header\nsuite: s\n# a note\n")
    assert "      # left out: x\n" in text
    assert yaml.safe_load(text) == {
        "suite": "s",
        "vars": {"text": "two\nlines", "yes": "yes", "date": "2024-01-01"},
        "cases": [{"id": "a", "assert": [{"type": "contains", "value": "a: b"}]}],
    }


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "no",
        "on",
        "null",
        "~",
        "2024-01-01",
        "1e3",
        "0x10",
        "a: b",
        "- x",
        "#x",
        "",
        " x ",
        "x\n",
        "a\tb\nc",
        "'q'",
        '"q"',
        "{a}",
        "[1]",
        "@x",
        "`x`",
        "%x",
        "!x",
        "&x",
        "*x",
        "|",
        ">",
    ],
)
def test_scalars_that_look_like_something_else_stay_strings(value: str) -> None:
    doc = {"vars": {"v": value}, "assert": [{"type": "equals", "value": value}]}
    assert yaml.safe_load(document(doc)) == doc


def test_random_documents_round_trip() -> None:
    rng = random.Random(7)
    alphabet = ["a", " ", ":", "-", "#", "\n", "'", '"', "{", "é", "1", "."]

    def scalar() -> object:
        kind = rng.randrange(5)
        if kind == 0:
            return rng.randrange(-5, 100)
        if kind == 1:
            return rng.choice([True, False, None, 1.5])
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))

    def value(depth: int) -> object:
        if depth > 2 or rng.random() < 0.4:
            return scalar()
        if rng.random() < 0.5:
            return [value(depth + 1) for _ in range(rng.randrange(0, 4))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randrange(0, 4))}

    for _ in range(300):
        doc = {"suite": "s", "vars": value(0), "cases": [{"id": "a", "vars": value(1)}]}
        assert yaml.safe_load(document(doc)) == doc


def test_a_list_of_only_comments_is_an_empty_list_that_shows_them() -> None:
    text = document({"assert": [Comment("left out: everything")]})
    assert text == "assert: []\n  # left out: everything\n"
    assert yaml.safe_load(text) == {"assert": []}


def test_cases_and_variants_are_one_entry_per_line() -> None:
    text = document({"variants": {"v2": {"prompt": "p@v2"}}, "cases": [{"id": "a", "vars": {}}]})
    assert text == "variants:\n  v2: {prompt: p@v2}\ncases:\n  - id: a\n    vars: {}\n"
