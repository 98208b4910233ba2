"""checks/calibration.py in process: a labels file is untrusted input (every bad line a
``file:line`` error, bounded), a record round-trips byte for byte, and the one status rule
says missing, unreadable, stale (naming what changed), below or ok."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evalkit.checks import calibration
from evalkit.checks.calibration import (
    CalibrationRecord,
    Disagreement,
    JudgeIdentity,
    LabelSet,
    judge_id,
    judge_notes,
    note,
    notes_in,
    read_labels,
    read_record,
    record_path,
    status,
    write_record,
)
from evalkit.errors import ConfigError
from evalkit.results.models import CaseResult, CheckResult, SampleResult
from evalkit.stats.agreement import Confusion, agreement

IDENTITY = JudgeIdentity(
    model="gpt-4.1-mini", rubric="is it polite?", prompt="judge@v1", prompt_digest="sha256:ab"
)


def label(case: str, output: str, verdict: str = "pass", **extra: object) -> str:
    return json.dumps({"case": case, "output": output, "label": verdict, **extra})


def write_labels(tmp_path: Path, *lines: str, name: str = "polite.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as raised:
        read_labels(path)
    return raised.value


# -- judge ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "judge"),
    [
        ("polite.jsonl", "polite"),
        ("labels/polite.JSONL", "polite"),
        ("tone.v2.jsonl", "tone.v2"),
        ("tone.json", "tone"),
        ("plain", "plain"),
    ],
)
def test_a_judge_is_named_by_its_labels_file(name: str, judge: str) -> None:
    assert judge_id(name) == judge
    assert judge_id(Path(name)) == judge


# -- reading labels -------------------------------------------------------------------------


def test_labels_are_read_with_their_lines_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_labels(
        tmp_path,
        label("a", "hello", note="fine"),
        "",
        "   ",
        label("b", "go away", "fail", vars={"x": 1}),
    )
    found = read_labels(path)
    assert [number for number, _ in found.labels] == [1, 4]
    first, second = (lab for _, lab in found.labels)
    assert first.passed and first.note == "fine"
    assert not second.passed and second.vars == {"x": 1}
    assert found.judge_id == "polite"


def test_the_digest_is_of_the_bytes_so_any_edit_changes_it(tmp_path: Path) -> None:
    one = read_labels(write_labels(tmp_path, label("a", "x"), name="one.jsonl"))
    same = read_labels(write_labels(tmp_path, label("a", "x"), name="same.jsonl"))
    other = read_labels(write_labels(tmp_path, label("a", "x", note="n"), name="other.jsonl"))
    assert one.digest == same.digest != other.digest
    assert one.digest.startswith("sha256:") and len(one.digest) == len("sha256:") + 64


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write_labels(tmp_path, label("a", "x"))
    assert len(read_labels(path).labels) == 1
    path.write_text(label("a", "x") + "\n" + label("b", "y") + "\n", encoding="utf-8")
    assert len(read_labels(path).labels) == 2  # the cache is keyed by size and mtime


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "a label is a JSON object"),
        ('"pass"', "a label is a JSON object"),
        (
            json.dumps({"case": "a", "output": "x", "label": "maybe"}),
            'label must be "pass" or "fail"',
        ),
        (json.dumps({"case": "a", "output": "x"}), "missing field 'label'"),
        (json.dumps({"output": "x", "label": "pass"}), "missing field 'case'"),
        (
            json.dumps({"case": "a", "output": "x", "label": "pass", "score": 1}),
            "unknown field 'score'",
        ),
        (json.dumps({"case": "", "output": "x", "label": "pass"}), "case:"),
        (json.dumps({"case": "a", "output": 3, "label": "pass"}), "output:"),
    ],
)
def test_a_bad_line_is_an_error_at_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = write_labels(tmp_path, label("ok", "fine"), "", line)
    error = error_of(path)
    assert error.line == 3 and message in error.message
    assert str(error).startswith(f"{error.file}:3: ")
    assert "\n" not in str(error)


def test_a_line_that_is_not_json_is_an_error_at_its_line(tmp_path: Path) -> None:
    error = error_of(write_labels(tmp_path, label("ok", "fine"), '{"case": "a",'))
    assert error.line == 2


def test_the_same_output_labelled_twice_names_the_first_line(tmp_path: Path) -> None:
    path = write_labels(
        tmp_path, label("a", "x"), label("a", "y"), label("b", "x"), label("a", "x", "fail")
    )
    error = error_of(path)
    assert error.line == 4 and "first at line 1" in error.message


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_a_file_without_labels_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(text, encoding="utf-8")
    error = error_of(path)
    assert error.line == 1 and "holds no labels" in error.message


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nope.jsonl")
    assert "labels file not found" in error.message and error.file is not None


def test_more_labels_than_the_bound_stop_at_the_first_one_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibration, "MAX_LABELS", 3)
    path = write_labels(tmp_path, *(label(f"c{i}", "x") for i in range(5)))
    error = error_of(path)
    assert error.line == 4 and "more than 3 labels" in error.message


def test_three_labels_at_a_bound_of_three_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibration, "MAX_LABELS", 3)
    assert (
        len(read_labels(write_labels(tmp_path, *(label(f"c{i}", "x") for i in range(3)))).labels)
        == 3
    )


def test_a_file_over_the_byte_bound_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibration, "MAX_LABELS_BYTES", 20)
    error = error_of(write_labels(tmp_path, label("a", "a long enough output")))
    assert "over the 20 byte limit" in error.message


def test_labels_not_in_utf8_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(label("a", "x").encode() + b"\n" + b'{"case": "\xe9"}\n')
    error = error_of(path)
    assert error.line == 2 and "UTF-8" in error.message


# -- identities and records ---------------------------------------------------------------------


def test_changed_names_every_field_that_differs() -> None:
    assert IDENTITY.changed(IDENTITY) == []
    other = IDENTITY.model_copy(update={"rubric": "kind?", "threshold": 0.5, "params": {"t": 0}})
    assert sorted(IDENTITY.changed(other)) == ["params", "rubric", "threshold"]


def build(tp: int, fn: int, fp: int, tn: int, digest: str = "sha256:00") -> CalibrationRecord:
    stats = agreement(Confusion(tp, fn, fp, tn))
    return CalibrationRecord.build(
        suite="tone",
        judge="polite",
        identity=IDENTITY,
        labels="labels/polite.jsonl",
        labels_digest=digest,
        stats=stats,
        disagreements=[
            Disagreement(case="c1", line=3, label="pass", verdict="fail", reason="rude", output="é")
        ],
    )


def test_a_record_carries_the_rates_of_its_confusion_table() -> None:
    record = build(8, 2, 1, 9)
    assert record.n == 20
    assert record.agreement == pytest.approx(17 / 20)
    assert record.tpr == pytest.approx(8 / 10) and record.tnr == pytest.approx(9 / 10)
    low, high = record.agreement_interval
    assert low < record.agreement < high  # type: ignore[operator]
    assert record.kappa is not None and record.kappa_interval is not None
    assert record.confusion.model_dump() == {"tp": 8, "fn": 2, "fp": 1, "tn": 9}
    assert record.line() == "judge agreement 0.85 (n=20, kappa 0.70)"


def test_a_judge_that_always_passes_has_kappa_0_and_one_rater_class_none() -> None:
    record = build(5, 0, 5, 0)  # right half the time, by chance alone: kappa 0
    assert record.agreement == 0.5 and record.tnr == 0.0
    assert record.kappa == pytest.approx(0.0)
    one_sided = build(4, 0, 0, 0)
    assert one_sided.kappa is None and one_sided.tnr is None
    assert one_sided.line() == "judge agreement 1.00 (n=4, kappa undefined)"


def test_a_record_round_trips_byte_for_byte(tmp_path: Path) -> None:
    rng = random.Random(5)
    for i in range(10):
        record = build(*(rng.randrange(0, 30) + 1 for _ in range(4)))
        path = record_path(tmp_path, "tone", f"j{i}")
        write_record(path, record)
        again = read_record(path)
        assert isinstance(again, CalibrationRecord)
        assert again == record and again.text() == path.read_text(encoding="utf-8")


def test_the_record_text_keeps_unicode_and_ends_in_a_newline() -> None:
    text = build(1, 1, 1, 1).text()
    assert '"output": "é"' in text and text.endswith("}\n")


def test_write_record_redacts_what_it_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_record(path, build(1, 0, 0, 1), redact=lambda text: text.replace("rude", "[masked]"))
    assert "[masked]" in path.read_text() and "rude" not in path.read_text()


def test_record_paths_are_slugged_under_calibrations(tmp_path: Path) -> None:
    path = record_path(tmp_path, "a/b", "../judge")
    assert path.parent.parent == tmp_path / "calibrations"
    assert path.resolve().is_relative_to(tmp_path.resolve())
    assert path.suffix == ".json" and ".." not in path.parts


def test_an_unreadable_record_says_why(tmp_path: Path) -> None:
    assert read_record(tmp_path / "none.json") is None
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert isinstance(read_record(garbage), str)
    wrong = tmp_path / "wrong.json"
    data = json.loads(build(1, 1, 1, 1).text())
    data["n"] = "many"
    wrong.write_text(json.dumps(data), encoding="utf-8")
    found = read_record(wrong)
    assert isinstance(found, str) and found.startswith("not a calibration record (n:")


# -- notes ------------------------------------------------------------------------------------------


def test_notes_round_trip_through_a_check_message() -> None:
    message = "score 0.4 " + note("polite", "judge agreement 0.92 (n=50, kappa 0.81)")
    message += " " + note("kind", "stale")
    assert notes_in(message) == [
        ("polite", "judge agreement 0.92 (n=50, kappa 0.81)"),
        ("kind", "stale"),
    ]
    assert notes_in("no notes [calibration : x]") == []


def test_judge_notes_come_from_judge_checks_once_each() -> None:
    text = note("polite", "judge agreement 0.90 (n=10, kappa 0.80)")
    checks = [
        CheckResult(type="judge", passed=True, message=text),
        CheckResult(type="not judge", passed=False, message=text),
        CheckResult(type="contains", passed=True, message=note("other", "x")),
    ]
    result = CaseResult(
        suite="tone",
        case="c",
        passed=True,
        samples=[
            SampleResult(passed=True, checks=checks),
            SampleResult(passed=True, checks=checks),
        ],
    )
    assert judge_notes(result) == ["tone: polite: judge agreement 0.90 (n=10, kappa 0.80)"]


# -- status -------------------------------------------------------------------------------------------


def labels_at(tmp_path: Path) -> LabelSet:
    return read_labels(write_labels(tmp_path, label("a", "x"), label("b", "y", "fail")))


def state_of(
    tmp_path: Path,
    labels: LabelSet,
    identity: JudgeIdentity = IDENTITY,
    min_agreement: float | None = None,
    suite_path: Path | None = None,
) -> calibration.CalibrationStatus:
    return status(
        snapshots_dir=tmp_path / "snapshots",
        suite="tone",
        suite_path=suite_path,
        identity=identity,
        labels=labels,
        min_agreement=min_agreement,
    )


def test_no_record_is_missing_and_names_the_command(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    found = state_of(tmp_path, labels, suite_path=tmp_path / "suites" / "tone.yaml")
    assert found.state == "missing" and not found.ok
    assert "evalkit calibrate" in found.message and "tone.yaml" in found.message
    assert found.path == record_path(tmp_path / "snapshots", "tone", "polite")


def test_an_unreadable_record_is_unreadable(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    path = record_path(tmp_path / "snapshots", "tone", "polite")
    path.parent.mkdir(parents=True)
    path.write_text("[]", encoding="utf-8")
    found = state_of(tmp_path, labels)
    assert found.state == "unreadable" and "`evalkit calibrate`" in found.message


def written(
    tmp_path: Path, labels: LabelSet, tp: int = 9, fn: int = 1, fp: int = 1, tn: int = 9
) -> None:
    record = build(tp, fn, fp, tn, digest=labels.digest)
    write_record(record_path(tmp_path / "snapshots", "tone", "polite"), record)


def test_a_record_of_these_labels_and_this_judge_is_ok(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    written(tmp_path, labels)
    found = state_of(tmp_path, labels, min_agreement=0.9)  # 18/20 = 0.9 is not below 0.9
    assert found.ok and found.message == "judge agreement 0.90 (n=20, kappa 0.80)"
    assert found.record is not None


def test_a_record_of_another_judge_is_stale_naming_the_change(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    written(tmp_path, labels)
    other = IDENTITY.model_copy(update={"model": "gpt-5"})
    found = state_of(tmp_path, labels, identity=other)
    assert found.state == "stale" and "(model changed since" in found.message


def test_a_record_of_other_labels_is_stale(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    written(tmp_path, labels)
    edited = LabelSet(labels.path, "sha256:other", labels.labels)
    other = IDENTITY.model_copy(update={"prompt_digest": "sha256:cd"})
    found = state_of(tmp_path, edited, identity=other)
    assert found.state == "stale" and "(prompt_digest, labels changed" in found.message


def test_agreement_under_the_bar_is_below_with_its_interval(tmp_path: Path) -> None:
    labels = labels_at(tmp_path)
    written(tmp_path, labels, tp=5, fn=5, fp=5, tn=5)
    found = state_of(tmp_path, labels, min_agreement=0.8)
    assert found.state == "below" and not found.ok
    assert "below min_agreement 0.8" in found.message and "95% interval" in found.message
    assert state_of(tmp_path, labels).ok  # without a bar it only reports
