"""The imported suite agrees with node, entry by entry.

Two corpora of promptfoo ``javascript`` assertions with node's verdicts on real outputs:
``corpus.jsonl`` (the javascript check's: promptfoo's rules at large) and
``native_edges.jsonl`` (the shapes the importer writes as native checks, and their near
misses, on outputs where JavaScript and Python differ). Each corpus becomes promptfoo
configs (a plain provider, and a ``json_schema`` one for the structured entries), goes
through ``evalkit import promptfoo``, is loaded by evalkit's own suite loader and judged
on the entry's output: native check or ``javascript`` check, the verdict must be node's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from evalkit.checks import AssertionSpec, Observation, evaluate
from evalkit.config import load_settings
from evalkit.importers.promptfoo import Pins, import_promptfoo
from evalkit.importers.writer import write_plan
from evalkit.project.loader import load_suite

from ...support import forget_generated_modules

DATA = Path(__file__).parents[3] / "data" / "javascript"
JSON_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"category": {"type": "string"}},
            "required": ["category"],
            "additionalProperties": False,
        },
    },
}


class AnySchema(BaseModel):
    """Stands for the suite's schema: the checks only need to know there is one."""


def entries(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


@dataclass
class Imported:
    """One corpus entry after the import: its checks (empty when left out) and why not."""

    entry: dict[str, Any]
    checks: tuple[AssertionSpec, ...]
    left_out: str | None

    def verdict(self) -> bool:
        obs = Observation(
            text=self.entry["output"],
            vars=self.entry["vars"],
            schema=AnySchema if self.entry["structured"] else None,
        )
        return all(evaluate(spec, obs).passed for spec in self.checks)

    @property
    def kind(self) -> str:
        types = {spec.type for spec in self.checks}
        return "left out" if not types else ("javascript" if "javascript" in types else "native")


def config(rows: list[dict[str, Any]], structured: bool) -> dict[str, Any]:
    provider: dict[str, Any] = {"id": "openai:chat:gpt-4.1-mini-2025-04-14"}
    if structured:
        provider["config"] = {"response_format": JSON_SCHEMA}
    tests = []
    for row in rows:
        assertion: dict[str, Any] = {
            "type": ("not-" if row["not"] else "") + "javascript",
            "value": row["value"],
        }
        if row["threshold"] is not None:
            assertion["threshold"] = row["threshold"]
        if row["config"] is not None:
            assertion["config"] = row["config"]
        tests.append({"description": row["id"], "vars": row["vars"], "assert": [assertion]})
    return {"prompts": ["Answer."], "providers": [provider], "tests": tests}


def import_corpus(name: str, folder: Path) -> list[Imported]:
    out: list[Imported] = []
    rows = entries(name)
    for structured in (False, True):
        part = [row for row in rows if row["structured"] == structured]
        if not part:
            continue
        source = folder / f"{'structured' if structured else 'text'}-source"
        source.mkdir()
        path = source / "promptfooconfig.yaml"
        path.write_text(yaml.safe_dump(config(part, structured), allow_unicode=True))
        plan, report = import_promptfoo(path, Pins())
        project = folder / f"{'structured' if structured else 'text'}-project"
        write_plan(plan, project)
        sys.path.insert(0, str(project))
        try:
            forget_generated_modules()
            suite = load_suite(next((project / "suites").glob("*.yaml")), load_settings(project))
        finally:
            sys.path.remove(str(project))
        by_description = {case.description: case for case in suite.cases}
        reasons = [item.text() for item in report.left_out]
        for row in part:
            case = by_description[row["id"]]
            checks = tuple(spec for spec in case.asserts if not spec.implicit)
            quoted = " ".join(row["value"].split())[:30]
            reason = next((r for r in reasons if quoted in r), "?")
            out.append(Imported(row, checks, None if checks else reason))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Imported]]:
    yield import_corpus("corpus.jsonl", tmp_path_factory.mktemp("corpus"))
    forget_generated_modules()


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Imported]]:
    yield import_corpus("native_edges.jsonl", tmp_path_factory.mktemp("edges"))
    forget_generated_modules()


def test_the_imported_corpus_agrees_with_node_on_every_entry(corpus: list[Imported]) -> None:
    """Every entry the import carries (all but the three below) is judged as node judges it."""
    assert len(corpus) == len(entries("corpus.jsonl")) >= 280
    carried = [i for i in corpus if i.kind != "left out"]
    disagreements = [i.entry["id"] for i in carried if i.verdict() != i.entry["expected"]["pass"]]
    assert disagreements == []
    assert len(carried) == len(corpus) - 3
    kinds = [i.kind for i in corpus]
    assert kinds.count("native") >= 15 and kinds.count("javascript") >= 250


def test_only_code_node_fails_with_an_error_is_left_out(corpus: list[Imported]) -> None:
    """An assertion the check would refuse at load is listed instead of written (the suite
    must pass `evalkit check`); node fails each of them with an error in every case."""
    left = [i for i in corpus if i.kind == "left out"]
    assert {i.entry["id"].split("#")[0] for i in left} == {
        "syntax-error",
        "throw-single-line",
        "decl-block-for-semicolons",
    }
    assert all(i.entry["expected"]["kind"] == "error" for i in left)
    assert all(i.left_out and "does not parse" in i.left_out for i in left)


def test_the_native_shapes_agree_with_node_where_the_languages_differ(
    edges: list[Imported],
) -> None:
    assert all(i.kind != "left out" for i in edges)
    disagreements = [i.entry["id"] for i in edges if i.verdict() != i.entry["expected"]["pass"]]
    assert disagreements == []


def test_each_edge_is_written_as_the_check_it_names(edges: list[Imported]) -> None:
    """``native`` in the corpus names the check type the importer must write; null means
    the code must stay JavaScript (a near miss)."""
    wrong = []
    for item in edges:
        expected = item.entry["native"] or "javascript"
        got = [spec.type for spec in item.checks]
        if got != [expected]:
            wrong.append((item.entry["id"], got, expected))
    assert wrong == []
    natives = {i.entry["id"].split("#")[0] for i in edges if i.kind == "native"}
    kept = {i.entry["id"].split("#")[0] for i in edges if i.kind == "javascript"}
    assert len(natives) >= 30 and len(kept) >= 20


def test_json_with_nan_fails_as_json_parse_throws(tmp_path: Path) -> None:
    """evalkit's JSON reader refuses NaN as JSON.parse does (evalkit/io/jsonfile.py), so the
    native equals fails where promptfoo's code throws."""
    row = {
        "id": "nan",
        "value": "JSON.parse(output).a === 'x'",
        "output": '{"a": "x", "b": NaN}',
        "vars": {},
        "threshold": None,
        "not": False,
        "structured": False,
        "config": None,
    }
    (tmp_path / "c").mkdir()
    path = tmp_path / "c" / "promptfooconfig.yaml"
    path.write_text(yaml.safe_dump(config([row], structured=False)))
    plan, _ = import_promptfoo(path, Pins())
    write_plan(plan, tmp_path / "p")
    suite = load_suite(next((tmp_path / "p/suites").glob("*.yaml")), load_settings(tmp_path / "p"))
    (spec,) = [s for s in suite.cases[0].asserts if not s.implicit]
    assert (spec.type, spec.path) == ("equals", "a")
    outcome = evaluate(spec, Observation(text=row["output"]))
    assert not outcome.passed and "NaN" in outcome.message  # node: SyntaxError, a fail


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_still_computes_the_committed_edges(tmp_path: Path) -> None:
    fresh = tmp_path / "native_edges.jsonl"
    done = subprocess.run(
        ["node", str(DATA / "make_native_edges.mjs"), str(fresh)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert fresh.read_text(encoding="utf-8") == (DATA / "native_edges.jsonl").read_text(
        encoding="utf-8"
    )
