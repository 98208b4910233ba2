"""Shards: a stable 1/N share of the cases, the same from both fronts, and run folders that
say which shard they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.errors import ConfigError
from evalkit.project.shard import Shard, bucket
from evalkit.testing import TestingServer

from ..conftest import Project

CASES = 40


def many_cases(project: Project, n: int = CASES) -> list[str]:
    """The triage suite with ``n`` cases read from a JSONL file."""
    ids = [f"t{i:03d}" for i in range(n)]
    project.write(
        "suites/cases.jsonl",
        "".join(
            json.dumps({"id": i, "vars": {"body": f"I was charged twice ({i})"}}) + "\n"
            for i in ids
        ),
    )
    text = project.suite.read_text()
    project.suite.write_text(text[: text.index("cases:")] + "cases:\n  - cases_from: cases.jsonl\n")
    return ids


def run_ids(folder: Path) -> list[str]:
    return [
        json.loads(line)["case"] for line in (folder / "results.jsonl").read_text().splitlines()
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "write K/N"),
        ("2", "write K/N"),
        ("a/b", "write K/N"),
        ("1/2/3", "write K/N"),
        ("-1/4", "write K/N"),
        ("0/4", "K must be from 1 to 4"),
        ("5/4", "K must be from 1 to 4"),
        ("1/0", "N must be from 1"),
        ("1/100001", "N must be from 1"),
    ],
)
def test_bad_shards_say_what_to_write(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        Shard.parse(text)
    assert problem in str(err.value)
    assert err.value.file is None  # a flag has no file:line


def test_shards_partition_the_cases_stably() -> None:
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4) and str(Shard(2, 4)) == "2/4"
    ids = [f"case-{i}" for i in range(4000)]
    owners = [[s for s in range(1, 5) if Shard(s, 4).owns("triage", i)] for i in ids]
    assert all(len(o) == 1 for o in owners)  # every case in exactly one shard
    sizes = [sum(o == [s] for o in owners) for s in range(1, 5)]
    assert all(900 < size < 1100 for size in sizes), sizes
    # the hash is SHA-256 of suite::case, the same in every process and on every machine
    assert [bucket("triage", "refund", 4), bucket("triage", "outage", 4)] == [0, 2]
    assert bucket("other", "refund", 4) == 1  # the suite is part of the key
    assert Shard(1, 1).owns("triage", "anything")


def test_cli_shards_split_the_cases_and_say_so(project: Project, server: TestingServer) -> None:
    ids = many_cases(project)
    seen: list[str] = []
    for k in range(1, 5):
        code = main(["run", "--mode", "live", "--shard", f"{k}/4", "--run-id", f"head-{k}"])
        folder = project.root / ".evalkit" / "runs" / f"head-{k}"
        meta = json.loads((folder / "run.json").read_text())
        assert meta["shard"] == f"{k}/4"
        mine = run_ids(folder)
        assert meta["cases"] == len(mine)
        assert code == 0
        assert all(Shard(k, 4).owns("triage", i) for i in mine)
        seen += mine
    assert sorted(seen) == ids  # the shards together ran every case, each once


def test_a_resumed_shard_keeps_its_share(project: Project, server: TestingServer) -> None:
    many_cases(project)
    assert main(["run", "--mode", "live", "--shard", "3/4", "--run-id", "s3"]) == 0
    folder = project.root / ".evalkit" / "runs" / "s3"
    lines = (folder / "results.jsonl").read_text().splitlines()
    (folder / "results.jsonl").write_text("\n".join(lines[:2]) + "\n")  # interrupted
    assert main(["run", "--resume", "s3"]) == 0
    assert sorted(run_ids(folder)) == sorted(json.loads(line)["case"] for line in lines)
    assert main(["run", "--resume", "s3", "--shard", "1/4"]) == 2


def test_an_empty_shard_passes_and_leaves_an_empty_run(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # two cases in 10 shards: most shards hold none (and must not fail a CI matrix job)
    empty = next(
        k
        for k in range(1, 11)
        if not any(Shard(k, 10).owns("triage", c) for c in ("refund", "outage"))
    )
    assert main(["run", "--shard", f"{empty}/10", "--run-id", "empty"]) == 0
    assert f"shard {empty}/10 holds none of these suites' cases" in capsys.readouterr().out
    folder = project.root / ".evalkit" / "runs" / "empty"
    assert (folder / "results.jsonl").read_text() == ""
    assert json.loads((folder / "run.json").read_text())["cases"] == 0


def test_bad_shard_flag_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--shard", "5/4"]) == 2
    assert "--shard '5/4': K must be from 1 to 4" in capsys.readouterr().err


def test_pytest_shards_collect_the_same_share(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..conftest import make_project

    project = make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    ids = many_cases(project)
    assert main(["record"]) == 0
    collected: list[str] = []
    for k in (1, 2, 3):
        result = pytester.runpytest(
            "--evalkit", "suites/", "--evalkit-shard", f"{k}/3", "--collect-only", "-q"
        )
        names = [line.rsplit("::", 1)[1] for line in result.outlines if "::triage::" in line]
        assert names == [i for i in ids if Shard(k, 3).owns("triage", i)]
        collected += names
    assert sorted(collected) == ids
    result = pytester.runpytest("--evalkit", "suites/", "--evalkit-shard", "2/3")
    share = sum(Shard(2, 3).owns("triage", i) for i in ids)
    result.assert_outcomes(passed=share)
    folders = sorted((pytester.path / ".evalkit" / "runs").iterdir())
    metas = [json.loads((f / "run.json").read_text()) for f in folders]
    assert [m.get("shard") for m in metas if m["front"] == "pytest"] == ["2/3"]
    bad = pytester.runpytest("--evalkit", "suites/", "--evalkit-shard", "0/3")
    assert bad.ret == 2
    bad.stdout.fnmatch_lines(["*--evalkit-shard '0/3': K must be from 1 to 3*"])
