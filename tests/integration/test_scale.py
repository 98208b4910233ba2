"""What keeps a 100,000-case run small: case files held as rows, plans rendered when run
(errors still found before any call), a bounded memo of embeddings. The sizes are made
small here so that every path runs; benchmarks/run.py measures the real ones."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from evalkit.cli.main import main
from evalkit.config import Mode, load_settings
from evalkit.engine.answerers import Answered, Answerer, Memo
from evalkit.errors import TemplateError
from evalkit.project.caselist import CaseList
from evalkit.project.loader import load_suite
from evalkit.project.open import open_project
from evalkit.project.plan import Plan, plan
from evalkit.project.recordings import Owner
from evalkit.project.shard import Shard
from evalkit.testing import TestingServer
from evalkit.wire.request import Request, embedding_request
from evalkit.wire.response import Response

from ..conftest import Project
from ..project.test_shard import many_cases


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CaseList, "HOLD", 3)
    monkeypatch.setattr(Plan, "KEEP", 4)


def test_cases_past_the_first_are_rebuilt_the_same(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = many_cases(project, 12)
    project.write(
        "suites/more.csv",
        "id,body,expect.category,assert\n"
        + "".join(f'x{i},"charged, twice {i}",billing,"[""schema""]"\n' for i in range(6)),
    )
    project.suite.write_text(project.suite.read_text() + "  - cases_from: more.csv\n")
    whole = load_suite(project.suite, load_settings(project.root))
    monkeypatch.setattr(CaseList, "HOLD", 3)
    held = load_suite(project.suite, load_settings(project.root))
    assert [c.id for c in held.cases] == ids + [f"x{i}" for i in range(6)]
    assert list(held.cases) == list(whole.cases)  # vars, assertions, files and lines
    assert held.cases[-1] == whole.cases[-1] and held.cases[4:6] == list(whole.cases[4:6])
    assert held.cases[13].file.name == "more.csv" and held.cases[13].line == 3
    with pytest.raises(IndexError):
        held.cases[18]


def test_a_plan_is_the_same_cases_rendered_when_run(project: Project, small: None) -> None:
    ids = many_cases(project, 15)
    suite = open_project(None, {}).suites[0]
    planned = Plan([(suite, None)])
    assert len(planned) == 15 and repr(planned) == "Plan(15 cases)"
    assert list(planned) == plan(suite)
    assert planned[-1] == plan(suite)[-1] and planned[5:7] == plan(suite)[5:7]
    share = Plan([(suite, None)], shard=Shard(2, 3))
    assert [p.case.id for p in share] == [i for i in ids if Shard(2, 3).owns("triage", i)]
    assert [p.case.id for p in share] == [p.case.id for p in plan(suite, None, Shard(2, 3))]
    rest = Plan([(suite, None), (suite, None)], skip={f"triage::{i}" for i in ids[:10]})
    assert [p.case.id for p in rest] == ids[10:] * 2
    assert planned.models() == ["gpt-4.1-mini-2025-04-14"]


def test_cases_past_the_kept_ones_are_sent_as_rendered_the_first_time(
    project: Project, small: None
) -> None:
    """Past KEEP, a plan keeps each case's rendered text and builds its requests from it;
    a case with history (not plain rendered text) is rendered again: both as plan() does."""
    many_cases(project, 9)
    cases = project.root / "suites" / "cases.jsonl"
    rows = [json.loads(line) for line in cases.read_text().splitlines()]
    rows[6]["history"] = [{"role": "assistant", "content": "Earlier answer."}]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    suite = open_project(None, {}).suites[0]
    planned = Plan([(suite, None)])
    assert planned[-3:] == plan(suite)[-3:]
    assert planned[6].requests[0].body["messages"][1] == {
        "role": "assistant",
        "content": "Earlier answer.",
    }
    assert planned[8].requests[0].body["messages"][-1]["content"].endswith("(t008)")


def test_a_bad_case_past_the_kept_ones_is_still_found_before_any_call(
    project: Project, server: TestingServer, small: None, capsys: pytest.CaptureFixture[str]
) -> None:
    many_cases(project, 10)
    cases = project.root / "suites" / "cases.jsonl"
    lines = cases.read_text().splitlines()
    lines[8] = json.dumps({"id": "t008", "vars": {}})  # no `body` for the template
    cases.write_text("\n".join(lines) + "\n")
    calls = server.stats.requests
    with pytest.raises(TemplateError):
        open_project(None, {"mode": Mode.LIVE}).plan()
    assert main(["run", "--mode", "live"]) == 2
    assert "t008" in capsys.readouterr().err
    assert server.stats.requests == calls


def test_a_run_and_its_resume_with_small_holds(
    project: Project, server: TestingServer, small: None
) -> None:
    ids = many_cases(project, 20)
    assert main(["run", "--mode", "live", "--run-id", "big"]) == 0
    path = project.root / ".evalkit" / "runs" / "big" / "results.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(r["case"] for r in rows) == ids and all(r["passed"] for r in rows)
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines()[:7]))
    assert main(["run", "--resume", "big"]) == 0
    again = [json.loads(line)["case"] for line in path.read_text().splitlines()]
    assert sorted(again) == ids  # the 13 unfinished ran, the 7 finished did not run again
    assert main(["report", "big"]) == 0


class _Embedder(Answerer):
    """Answers embeddings itself (no API) and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        self.asked += request.body["input"]
        return Response(
            endpoint="embeddings",
            body={"data": [{"embedding": [0.5, 0.5], "index": 0}], "model": request.model},
        )

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        return [await self.answer(owner, r, purpose) for r in requests]


def test_the_memo_keeps_only_the_last_embeddings() -> None:
    inner = _Embedder()
    memo = Memo(inner, keep=2)
    owner = Owner("s", "c")

    async def ask(*texts: str) -> None:
        for text in texts:
            await memo.answer(owner, embedding_request("text-embedding-3-small", text))

    asyncio.run(ask("a", "b", "a", "c", "a", "b"))
    # a, b asked; a reused; c evicts b (a was used last); a reused; b asked again
    assert inner.asked == ["a", "b", "c", "b"]
    assert len(memo.kept) == 2
