"""results/folder.py in process: a run folder is created inside the results folder only
(never over something that is not a run), a run is found from what a user typed, a results
file's unreadable lines are skipped and reported (never an empty pass), secrets never reach
the file, and the batch state and spend log read back or say what is wrong."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pydantic import BaseModel

from evalkit.config import Mode
from evalkit.errors import ConfigError
from evalkit.results.folder import (
    META,
    RESULTS,
    SPEND,
    ResultsFile,
    RunMeta,
    RunWriter,
    create_run,
    find_run,
    latest_results,
    new_run_id,
    read_batches,
    read_meta,
    results_file,
    run_name,
    spend_log,
    spent_in,
    write_batches,
)
from evalkit.results.models import CaseResult, SampleResult


def result(case: str, passed: bool = True, suite: str = "s", output: str = "ok") -> CaseResult:
    return CaseResult(
        suite=suite, case=case, passed=passed, samples=[SampleResult(passed=passed, output=output)]
    )


# -- run ids and folders -----------------------------------------------------------------------


def test_new_run_ids_are_a_timestamp_and_a_hex_tail() -> None:
    ids = {new_run_id() for _ in range(20)}
    for run_id in ids:
        stamp, _, tail = run_id.rpartition("-")
        assert len(stamp) == len("20260101-000000") and len(tail) == 4
        int(tail, 16)


def test_a_run_is_created_with_its_meta_and_start_time(tmp_path: Path) -> None:
    folder = create_run(tmp_path / "runs", RunMeta(run_id="r1", mode=Mode.LIVE, cases=3))
    assert folder == (tmp_path / "runs" / "r1").resolve()
    meta = read_meta(folder)
    assert (meta.run_id, meta.mode, meta.cases) == ("r1", Mode.LIVE, 3)
    assert meta.started_at  # stamped when not given


def test_an_existing_run_is_kept_unless_replaced(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = create_run(runs, RunMeta(run_id="r1", cases=1))
    (folder / RESULTS).write_text("{}\n")
    with pytest.raises(ConfigError, match="run 'r1' exists: resume it or choose another id"):
        create_run(runs, RunMeta(run_id="r1"))
    again = create_run(runs, RunMeta(run_id="r1", cases=2), replace=True)
    assert not (again / RESULTS).exists() and read_meta(again).cases == 2


def test_a_folder_that_is_not_a_run_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "keep.txt").write_text("x")
    with pytest.raises(ConfigError, match="is not a run folder"):
        create_run(tmp_path / "runs", RunMeta(run_id="mine"), replace=True)
    assert (tmp_path / "runs" / "mine" / "keep.txt").exists()


@pytest.mark.parametrize("run_id", ["../escape", "a/b", "..", ""])
def test_a_run_id_that_is_not_a_name_is_refused(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ConfigError, match="cannot be used as a folder name"):
        create_run(tmp_path / "runs", RunMeta(run_id=run_id))
    assert not (tmp_path / "escape").exists()


def test_a_results_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("x")
    with pytest.raises(ConfigError, match="the results folder is a file"):
        create_run(tmp_path / "runs", RunMeta(run_id="r1"))


def test_unreadable_meta_says_the_run_cannot_be_resumed(tmp_path: Path) -> None:
    (tmp_path / META).write_text('{"mode": "replay"}')
    with pytest.raises(ConfigError, match=r"unreadable run metadata .*cannot be resumed"):
        read_meta(tmp_path)
    (tmp_path / META).write_text("{oops")
    with pytest.raises(ConfigError, match="cannot be resumed"):
        read_meta(tmp_path)


def test_names_and_files_of_a_run(tmp_path: Path) -> None:
    assert run_name(tmp_path / "r7" / RESULTS) == "r7"
    assert run_name(tmp_path / "r7") == "r7"
    assert results_file(tmp_path) == tmp_path / RESULTS
    assert results_file(tmp_path / "other.jsonl") == tmp_path / "other.jsonl"


# -- find_run ------------------------------------------------------------------------------------


def runs_with(tmp_path: Path, *ids: str) -> Path:
    runs = tmp_path / "runs"
    for run_id in ids:
        create_run(runs, RunMeta(run_id=run_id))
    return runs


def test_a_run_is_found_by_id_folder_or_results_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = runs_with(tmp_path, "r1")
    folder = runs / "r1"
    monkeypatch.chdir(tmp_path)
    assert find_run("r1", runs).resolve() == folder.resolve()
    assert find_run(str(folder), runs) == folder
    (folder / RESULTS).write_text("")
    assert find_run(str(folder / RESULTS), None) == folder  # stands for its folder
    loose = tmp_path / "loose.jsonl"
    loose.write_text("")
    assert find_run(str(loose), runs) == loose


def test_an_unknown_run_names_the_last_runs_there(tmp_path: Path) -> None:
    runs = runs_with(tmp_path, *(f"r{i}" for i in range(7)))
    with pytest.raises(ConfigError) as raised:
        find_run("nope", runs)
    message = str(raised.value)
    assert "no run 'nope'" in message and "(runs there: r2, r3, r4, r5, r6)" in message


def test_an_unknown_run_in_an_empty_results_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(ConfigError, match=r"\(it holds no run yet\)"):
        find_run("nope", tmp_path / "runs")


def test_a_folder_that_is_not_a_run_is_named(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match="not a run folder"):
        find_run(str(tmp_path / "plain"), None)


def test_a_run_id_that_climbs_out_is_not_looked_up_under_the_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = runs_with(tmp_path, "r1")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / RESULTS).write_text("")
    monkeypatch.chdir(tmp_path / "runs" / "r1")
    with pytest.raises(ConfigError):
        find_run("../../outside/x", runs)


# -- results.jsonl ------------------------------------------------------------------------------


def test_written_results_read_back_in_order(tmp_path: Path) -> None:
    written = [result(f"c{i}", passed=i % 3 != 0) for i in range(10)]
    with RunWriter(tmp_path) as writer:
        for one in written:
            writer.write(one)
    assert [r.model_dump() for r in ResultsFile(tmp_path)] == [r.model_dump() for r in written]


def test_secrets_never_reach_the_results_file(tmp_path: Path) -> None:
    secret = "sk-proj-" + "A1b2C3d4" * 5
    with RunWriter(tmp_path, secrets=(secret,)) as writer:
        writer.write(result("c", output=f"my key is {secret}"))
    text = (tmp_path / RESULTS).read_text()
    assert secret not in text and "my key is" in text


def test_the_last_line_of_a_case_wins(tmp_path: Path) -> None:
    with RunWriter(tmp_path) as writer:
        writer.write(result("a", passed=False))
        writer.write(result("b"))
        writer.write(result("a", passed=True))
        writer.write(result("a", suite="other", passed=False))
    latest = {(r.suite, r.case): r.passed for r in latest_results(tmp_path)}
    assert latest == {("s", "a"): True, ("s", "b"): True, ("other", "a"): False}


def test_unreadable_lines_are_skipped_and_reported_by_number(tmp_path: Path) -> None:
    good = result("a").model_dump_json()
    lines = [good, "not json", "", json.dumps({"suite": "s"}), "[1, 2]", good, '{"torn": ']
    (tmp_path / RESULTS).write_text("\n".join(lines))
    reader = ResultsFile(tmp_path)
    assert len(list(reader)) == 2
    assert reader.skipped == [2, 4, 5, 7]
    warning = reader.warning()
    assert warning is not None and warning.endswith("skipped 4 unreadable line(s): 2, 4, 5, 7")


def test_more_than_ten_skipped_lines_are_cut_short(tmp_path: Path) -> None:
    (tmp_path / RESULTS).write_text("\n".join(["x"] * 12 + [result("a").model_dump_json()]))
    reader = ResultsFile(tmp_path)
    list(reader)
    assert reader.warning() is not None and reader.warning().endswith(
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ..."
    )  # type: ignore[union-attr]


def test_reading_again_starts_the_skipped_list_afresh(tmp_path: Path) -> None:
    (tmp_path / RESULTS).write_text("x\n" + result("a").model_dump_json() + "\n")
    reader = ResultsFile(tmp_path)
    list(reader)
    list(reader)
    assert reader.skipped == [1]


def test_a_clean_file_has_no_warning(tmp_path: Path) -> None:
    (tmp_path / RESULTS).write_text(result("a").model_dump_json() + "\n")
    reader = ResultsFile(tmp_path)
    list(reader)
    assert reader.warning() is None


@pytest.mark.parametrize("text", ["", "\n\n", "garbage\n{}\n"])
def test_a_file_without_a_result_is_an_error_not_an_empty_pass(tmp_path: Path, text: str) -> None:
    (tmp_path / RESULTS).write_text(text)
    with pytest.raises(ConfigError, match="no results in this file"):
        latest_results(tmp_path)


def test_a_missing_results_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read results"):
        list(ResultsFile(tmp_path / "none.jsonl"))


def test_too_deep_a_line_is_skipped_not_a_crash(tmp_path: Path) -> None:
    deep = '{"suite": "s", "case": "c", "passed": true, "x": ' + "[" * 5000 + "]" * 5000 + "}"
    (tmp_path / RESULTS).write_text(deep + "\n" + result("a").model_dump_json() + "\n")
    reader = ResultsFile(tmp_path)
    assert [r.case for r in reader] == ["a"] and reader.skipped == [1]


def test_a_results_folder_that_is_a_file_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(ConfigError, match="cannot write results"):
        RunWriter(tmp_path / "blocker" / "run")


# -- batches.json and spend.jsonl --------------------------------------------------------------


class State(BaseModel):
    ids: list[str]


def test_batch_state_round_trips_and_absent_is_none(tmp_path: Path) -> None:
    assert read_batches(tmp_path, State) is None
    write_batches(tmp_path, State(ids=["b1", "b2"]))
    assert read_batches(tmp_path, State) == State(ids=["b1", "b2"])


def test_unreadable_batch_state_says_how_to_reach_the_batches(tmp_path: Path) -> None:
    (tmp_path / "batches.json").write_text('{"ids": 3}')
    with pytest.raises(ConfigError, match=r"unreadable batch state .*client\.batches\.list"):
        read_batches(tmp_path, State)


def test_spend_adds_what_each_session_paid(tmp_path: Path) -> None:
    rng = random.Random(8)
    paid = [round(rng.uniform(0, 0.01), 6) for _ in range(50)]
    log = spend_log(tmp_path)
    for usd in paid:
        log.write(json.dumps({"usd": usd}))
    log.close()
    assert spent_in(tmp_path) == pytest.approx(sum(paid))


def test_spend_skips_torn_and_foreign_lines(tmp_path: Path) -> None:
    lines = [
        '{"usd": 0.5}',
        '{"usd": -1}',
        '{"usd": "2"}',
        "[1]",
        '{"usd": 1e999}',
        '{"other": 3}',
        "{torn",
        '{"usd": 0.25}',
    ]
    (tmp_path / SPEND).write_text("\n".join(lines))
    assert spent_in(tmp_path) == pytest.approx(0.75)
    assert spent_in(tmp_path / "nothing") == 0.0


def test_a_usd_of_true_is_not_a_dollar(tmp_path: Path) -> None:
    (tmp_path / SPEND).write_text('{"usd": true}\n{"usd": 0.5}\n')
    assert spent_in(tmp_path) == pytest.approx(0.5)
