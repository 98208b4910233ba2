"""Suites as YAML a person reviews, with comments, that parse back to the same data."""

from __future__ import annotations

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
