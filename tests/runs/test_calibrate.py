"""``evalkit calibrate`` end to end on the testing server's judge, with held-out labels: the
record holds the agreement and kappa the labels imply, replays offline to the same bytes,
and gates the judge check at check time and at run time (missing, stale, below the bar)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer

from ..conftest import API_KEY, RULES, SUITE, Project

RUBRIC = "The summary mentions the refund"
PASS = {"pass": True, "score": 0.9, "reason": "It mentions the refund."}
FAIL = {"pass": False, "score": 0.2, "reason": "No refund in it."}

# the judge passes an output whose summary says "refund", whatever else it says
SCRIPT = Script(
    rules=[
        Rule(when=[f"Rubric: {RUBRIC}", r"Output:.*refund"], reply=PASS),
        Rule(when=["Rubric: "], reply=FAIL),
        *RULES.rules,
    ]
)


def out(summary: str) -> str:
    return json.dumps({"category": "billing", "urgency": "high", "summary": summary})


# Held-out labels: 5 both pass, 1 human pass / judge fail, 1 human fail / judge pass,
# 3 both fail. Agreement 8/10; pe = 0.6*0.6 + 0.4*0.4 = 0.52; kappa = 0.28/0.48.
LABELS = [
    ("refund", out("Double charge, wants refund"), "pass", ""),
    ("refund", out("Customer wants a refund"), "pass", ""),
    ("r3", out("Refund requested for the order"), "pass", ""),
    ("r4", out("Asks when the refund arrives"), "pass", ""),
    ("r5", out("Refund of the second charge"), "pass", ""),
    ("r6", out("Wants the money back"), "pass", "money back is a refund"),
    ("r7", out("Did not ask for a refund, only an invoice"), "fail", "no refund asked"),
    ("r8", out("Site outage"), "fail", ""),
    ("r9", out("Password reset"), "fail", ""),
    ("r10", out("Invoice copy wanted"), "fail", ""),
]
KAPPA = 0.28 / 0.48

JUDGED = SUITE.replace(
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n"
    "    assert:\n"
    f"      - {{type: judge, path: summary, rubric: '{RUBRIC}', model: gpt-4.1-2025-04-14,\n"
    "         labels: calibration/refund.jsonl, min_agreement: 0.7}\n",
)
RECORD = Path("snapshots/calibrations/triage/refund.json")
RECORDING = Path("snapshots/calibrations/triage/refund.recording.json")


def labels_text(rows: list[tuple[str, str, str, str]] = LABELS) -> str:
    return "".join(
        json.dumps({"case": c, "output": o, "label": lab, "note": n}) + "\n"
        for c, o, lab, n in rows
    )


@pytest.fixture
def judge_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingServer]:
    with TestingServer(SCRIPT, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


@pytest.fixture
def judged(project: Project) -> Project:
    project.write("suites/triage.yaml", JUDGED)
    project.write("suites/calibration/refund.jsonl", labels_text())
    return project


def judge_calls(server: TestingServer) -> int:
    return sum(1 for b in server.stats.bodies if b.get("model") == "gpt-4.1-2025-04-14")


def judge_check(project: Project) -> tuple[bool, str]:
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    refund = {r.case: r for r in latest_results(folder)}["refund"]
    check = next(c for c in refund.samples[0].checks if c.type.startswith("judge"))
    return check.passed, check.message


def said(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY")


def test_calibration_measures_what_the_labels_imply_and_replays(
    judged: Project,
    judge_server: TestingServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["calibrate", "--mode", "record"]) == 0
    printed = capsys.readouterr().out
    assert f"calibrated triage/refund: judge agreement 0.80 (n=10, kappa {KAPPA:.2f})" in printed
    assert "written to snapshots/calibrations/triage/refund.json" in printed
    assert judge_calls(judge_server) == 10
    text = (judged.root / RECORD).read_text()
    record = json.loads(text)
    assert record["n"] == 10 and record["agreement"] == 0.8
    assert record["kappa"] == pytest.approx(KAPPA, abs=1e-6)
    assert record["confusion"] == {"tp": 5, "fn": 1, "fp": 1, "tn": 3}
    assert record["tpr"] == pytest.approx(5 / 6, abs=1e-6) and record["tnr"] == 0.75
    assert record["labels"] == "suites/calibration/refund.jsonl"
    assert record["labels_digest"].startswith("sha256:")
    assert record["identity"]["rubric"] == RUBRIC
    assert record["identity"]["prompt"] == "judge@v1"
    assert record["identity"]["prompt_digest"].startswith("sha256:")
    assert record["identity"]["path"] == "summary"
    assert [(d["case"], d["label"], d["verdict"], d["note"]) for d in record["disagreements"]] == [
        ("r6", "pass", "fail", "money back is a refund"),
        ("r7", "fail", "pass", "no refund asked"),
    ]
    assert API_KEY not in text

    # replay: no server, the same record to the byte
    offline(monkeypatch)
    assert main(["calibrate"]) == 0
    assert (judged.root / RECORD).read_text() == text

    # the judge gates: the suite records and replays, its verdict carries the calibration
    monkeypatch.setenv("OPENAI_BASE_URL", judge_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    assert main(["record"]) == 0
    passed, message = judge_check(judged)
    assert (
        passed
        and f"[calibration refund: judge agreement 0.80 (n=10, kappa {KAPPA:.2f})]" in message
    )
    capsys.readouterr()
    assert main(["check"]) == 0, capsys.readouterr()
    latest = max((judged.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    assert main(["report", str(latest), "--markdown", "report.md"]) == 0
    line = f"triage: refund: judge agreement 0.80 (n=10, kappa {KAPPA:.2f})"
    assert f"judge calibration: {line}" in capsys.readouterr().out
    assert f"- {line}" in (judged.root / "report.md").read_text()
    # and a diff of two runs shows each side's
    assert main(["run"]) == 0
    runs = sorted((judged.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    capsys.readouterr()
    assert main(["diff", "--runs", str(runs[-2]), str(runs[-1]), "--markdown", "diff.md"]) == 0
    printed = capsys.readouterr().out
    assert f"judge calibration: {runs[-1].name}: {line}" in printed
    assert f"- {runs[-2].name}: {line}" in (judged.root / "diff.md").read_text()


def test_an_edited_rubric_makes_the_calibration_stale(
    judged: Project,
    judge_server: TestingServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["calibrate", "--mode", "record"]) == 0
    # still a rubric the judge passes the case under: the check fails for staleness alone
    judged.write("suites/triage.yaml", JUDGED.replace(RUBRIC, RUBRIC + " clearly"))
    capsys.readouterr()
    assert main(["check"]) == 2
    err = said(capsys)
    assert (
        "suites/triage.yaml:14: triage: judge 'refund': its calibration is stale (rubric changed"
        in err
    )
    assert "run `evalkit calibrate suites/triage.yaml`" in err
    assert main(["record"]) == 1
    passed, message = judge_check(judged)
    assert not passed
    assert "its calibration is stale (rubric changed" in message
    assert "judge gpt-4.1-2025-04-14 passed the rubric" in message  # it said pass; still fails
    # recalibrated: current again, and its recording holds only the current calls
    assert main(["calibrate", "--mode", "record"]) == 0
    recording = json.loads((judged.root / RECORDING).read_text())
    assert len(recording["interactions"]) == 10
    assert all(RUBRIC + " clearly" in json.dumps(e) for e in recording["interactions"].values())
    assert main(["record"]) == 0


def test_edited_labels_make_it_stale_and_no_calibration_fails(
    judged: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 2
    assert "judge 'refund' has no calibration against suites/calibration/refund.jsonl" in said(
        capsys
    )
    assert main(["record"]) == 1
    passed, message = judge_check(judged)
    assert not passed and "has no calibration" in message
    assert "`evalkit calibrate suites/triage.yaml`" in message
    assert main(["calibrate", "--mode", "record"]) == 0
    judged.write("suites/calibration/refund.jsonl", labels_text(LABELS[:-1]))
    capsys.readouterr()
    assert main(["check"]) == 2
    assert "its calibration is stale (labels changed" in said(capsys)


def test_a_bar_above_the_measured_agreement_is_refused(
    judged: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    judged.write("suites/triage.yaml", JUDGED.replace("min_agreement: 0.7", "min_agreement: 0.9"))
    assert main(["calibrate", "--mode", "record"]) == 1
    assert "below the bar: agreement 0.80 < min_agreement 0.9" in capsys.readouterr().out
    assert (judged.root / RECORD).is_file()  # the honest measurement is kept for review
    assert main(["check"]) == 2
    assert "is below min_agreement 0.9" in said(capsys)
    assert main(["record"]) == 1
    passed, message = judge_check(judged)
    assert not passed and "judge agreement 0.80 (n=10" in message and "below" in message


def test_a_judge_without_a_bar_reports_its_calibration(
    judged: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    judged.write("suites/triage.yaml", JUDGED.replace(", min_agreement: 0.7", ""))
    assert main(["record"]) == 0  # no calibration: it still judges
    assert main(["calibrate", "--mode", "record"]) == 0
    assert main(["record"]) == 0
    passed, message = judge_check(judged)
    assert passed and "[calibration refund: judge agreement 0.80 (n=10" in message


def test_calibration_stays_within_the_cost_cap(
    judged: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--mode", "record", "--max-cost", "0.000001"]) == 2
    assert "over the $1e-06 cap" in capsys.readouterr().err
    assert judge_calls(judge_server) == 0 and not (judged.root / RECORD).exists()
    assert main(["calibrate", "--mode", "record", "--max-cost", "5"]) == 0
    assert judge_calls(judge_server) == 10
    assert "$0.0" in capsys.readouterr().out  # priced


def test_replay_without_recordings_writes_nothing(
    judged: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["calibrate"]) == 1
    text = said(capsys)
    assert "not calibrated: triage/refund: suites/calibration/refund.jsonl:1:" in text
    assert "--mode record" in text
    assert not (judged.root / RECORD).exists()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"case": "a", "output": "x", "label": "yes"}', 'label must be "pass" or "fail"'),
        ('{"case": "a", "output": "x"}', "missing field 'label'"),
        ('{"case": "a", "output": "x", "label": "pass", "lable": 1}', "unknown field 'lable'"),
        ("not json", "this line is not JSON"),
        ('["a"]', "a label is a JSON object"),
        (
            '{"case": "refund", "output": "'
            + out("Double charge, wants refund").replace('"', '\\"')
            + '", "label": "fail"}',
            "labelled twice (first at line 1)",
        ),
    ],
)
def test_every_bad_label_line_is_an_error_at_its_line(
    judged: Project, capsys: pytest.CaptureFixture[str], line: str, problem: str
) -> None:
    judged.write("suites/calibration/refund.jsonl", labels_text(LABELS[:2]) + line + "\n")
    assert main(["check"]) == 2
    text = said(capsys)
    assert "suites/calibration/refund.jsonl:3: " in text and problem in text


def test_labels_stay_inside_the_project_and_a_bar_needs_labels(
    judged: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    judged.write(
        "suites/triage.yaml", JUDGED.replace("calibration/refund.jsonl", "../../outside.jsonl")
    )
    assert main(["check"]) == 2
    assert "is outside" in said(capsys)
    judged.write("suites/triage.yaml", JUDGED.replace("{type: judge,", "{type: judge, not: true,"))
    assert main(["check"]) == 2
    assert "a judge with min_agreement cannot take `not: true`" in said(capsys)
    judged.write("suites/triage.yaml", JUDGED.replace("refund.jsonl", "missing.jsonl"))
    assert main(["check"]) == 2
    assert (
        "suites/triage.yaml:15: labels file suites/calibration/missing.jsonl does not exist"
        in said(capsys)
    )
    judged.write("suites/triage.yaml", JUDGED.replace("labels: calibration/refund.jsonl, ", ""))
    assert main(["check"]) == 2
    assert "suites/triage.yaml:15: min_agreement needs `labels:`" in said(capsys)
