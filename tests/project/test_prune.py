"""project/prune.py and ``evalkit prune``: what no case, variant or hand-written test uses is
listed (and with --yes deleted); everything with an owner is kept; nothing is deleted when
prune cannot know every owner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.project.prune import find_unused
from evalkit.project.recordings import OwnerMark, owner_kind, owning_test_exists
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project

SNAP = SUITE.replace("  - schema\n", "  - schema\n  - snapshot\n")
VARIANTS = SNAP + "variants:\n  v2: {vars: {company: Initech}}\n"
WITHOUT_OUTAGE = VARIANTS.replace(
    '  - id: outage\n    vars: {body: "The site is down"}\n'
    "    expect: {category: technical, urgency: high}\n",
    "",
)
HANDWRITTEN = """
from pathlib import Path

SUITE = Path(__file__).parent.parent / "suites" / "triage.yaml"


def test_hand_refund(evalkit_suite):
    answer = evalkit_suite(SUITE).run("hand-refund", {"body": "charged twice"})
    assert answer.json["category"] == "billing"
"""


def files(project: Project) -> list[str]:
    return sorted(
        str(p.relative_to(project.root)) for p in (project.root / "snapshots").rglob("*.json")
    )


def unused(project: Project, *paths: str) -> dict[str, str]:
    return {str(u.path.relative_to(project.root)): u.why for u in find_unused(list(paths)).unused}


@pytest.fixture
def reviewed(project: Project, server: TestingServer) -> Project:
    project.write("suites/triage.yaml", VARIANTS)
    assert main(["record", "--all-variants", "--snapshot-update"]) == 0
    assert main(["run", "--all-variants", "--snapshot-update"]) == 0
    return project


def test_a_project_in_use_has_nothing_to_prune(
    reviewed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert unused(reviewed) == {}
    capsys.readouterr()
    assert main(["prune", "--yes"]) == 0
    assert "nothing to prune" in capsys.readouterr().out


def test_a_removed_case_s_files_are_listed_then_deleted_with_yes(
    reviewed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed.write("suites/triage.yaml", WITHOUT_OUTAGE)
    before = files(reviewed)
    assert unused(reviewed) == {
        "snapshots/outputs/triage/@v2/outage.json": "suite 'triage' has no case 'outage'",
        "snapshots/outputs/triage/outage.json": "suite 'triage' has no case 'outage'",
        "snapshots/recordings/triage/outage.json": "suite 'triage' has no case 'outage'",
    }
    capsys.readouterr()
    assert main(["prune"]) == 0
    out = capsys.readouterr().out
    assert (
        "snapshots/recordings/triage/outage.json: unused recording: suite 'triage' has no case "
        "'outage'"
    ) in out
    assert "3 unused file(s); delete them with `evalkit prune --yes`" in out
    assert files(reviewed) == before  # listing deletes nothing
    assert main(["prune", "--yes"]) == 0
    assert "deleted 3 unused file(s)" in capsys.readouterr().out
    assert [f for f in before if "outage" not in f] == files(reviewed)
    assert main(["run", "--all-variants"]) == 0  # what is left is all a run needs


def test_a_removed_variant_s_snapshots_and_fewer_samples(reviewed: Project) -> None:
    reviewed.write("suites/triage.yaml", SNAP)  # v2 gone
    assert unused(reviewed) == {
        "snapshots/outputs/triage/@v2/outage.json": "suite 'triage' has no variant 'v2'",
        "snapshots/outputs/triage/@v2/refund.json": "suite 'triage' has no variant 'v2'",
    }
    extra = reviewed.root / "snapshots/outputs/triage/refund.sample-1.json"
    extra.write_text("{}")  # a repeat of 2 that went back to 1
    assert "no longer reads it" in unused(reviewed)[str(extra.relative_to(reviewed.root))]


def test_a_removed_suite_is_found_when_no_suite_is_named(reviewed: Project) -> None:
    other = SNAP.replace("suite: triage", "suite: other")
    reviewed.write("suites/other.yaml", other)
    assert main(["record", "suites/other.yaml", "--snapshot-update"]) == 0
    (reviewed.root / "suites/other.yaml").unlink()
    found = unused(reviewed)
    assert set(found) == {
        "snapshots/outputs/other/outage.json",
        "snapshots/outputs/other/refund.json",
        "snapshots/recordings/other/outage.json",
        "snapshots/recordings/other/refund.json",
    }
    assert set(found.values()) == {"no suite is named 'other' any more"}
    assert unused(reviewed, "suites/triage.yaml") == {}  # a named suite: only its folders


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            lambda p: p.write(
                "suites/triage.yaml", VARIANTS.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini")
            ),
            "a suite does not load",
        ),
        (
            lambda p: p.write(
                "suites/triage.yaml",
                VARIANTS.replace("{company: Initech}", "{company: X, body: null}").replace(
                    'vars: {body: "The site is down"}', "vars: {}"
                ),
            ),
            "a case does not plan",
        ),
    ],
)
def test_prune_refuses_when_it_cannot_know_every_owner(
    reviewed: Project,
    capsys: pytest.CaptureFixture[str],
    edit,
    said: str,  # type: ignore[no-untyped-def]
) -> None:
    (reviewed.root / "snapshots/recordings/triage/gone.json").write_text(
        (reviewed.root / "snapshots/recordings/triage/refund.json").read_text()
    )
    edit(reviewed)
    before = files(reviewed)
    capsys.readouterr()
    assert main(["prune", "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"evalkit prune refuses to run, nothing was deleted: {said}" in err
    assert files(reviewed) == before


def test_a_file_whose_owner_cannot_be_read_is_kept(
    reviewed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    torn = reviewed.root / "snapshots/recordings/triage/gone.json"
    torn.write_text('{"format": "evalkit-rec')
    capsys.readouterr()
    assert main(["prune", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "snapshots/recordings/triage/gone.json: kept, its owner cannot be read" in out
    assert torn.is_file()


# -- hand-written tests and other per-test recordings -----------------------------------


def test_a_hand_written_test_s_recording_is_its_own_and_pruned_when_the_test_is_gone(
    reviewed: Project,
    pytester: pytest.Pytester,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(reviewed.root)  # pytester moved to its own folder
    reviewed.write("tests/test_hand.py", HANDWRITTEN)
    result = pytester.runpytest(str(reviewed.root / "tests/test_hand.py"), "--evalkit-mode=record")
    assert result.ret == 0, result.stdout.str()
    recording = reviewed.root / "snapshots/recordings/triage/hand-refund.json"
    mark = owner_kind(recording)
    assert mark == OwnerMark(owner="test", test="tests/test_hand.py::test_hand_refund")
    assert json.loads(recording.read_text())["owner"] == "test"

    capsys.readouterr()
    assert main(["check"]) == 0
    assert "orphan" not in capsys.readouterr().err  # not called an orphan any more
    assert unused(reviewed) == {}

    reviewed.write("tests/test_hand.py", "def test_something_else():\n    pass\n")
    assert unused(reviewed) == {
        "snapshots/recordings/triage/hand-refund.json": "the test that owned it "
        "(tests/test_hand.py::test_hand_refund) is no longer defined"
    }
    assert main(["check"]) == 0
    assert "the test that owned it (tests/test_hand.py::test_hand_refund)" in (
        capsys.readouterr().err
    )


def test_an_older_hand_written_recording_gets_its_marker_when_recorded_again(
    reviewed: Project, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(reviewed.root)
    reviewed.write("tests/test_hand.py", HANDWRITTEN)
    args = [str(reviewed.root / "tests/test_hand.py")]
    assert pytester.runpytest(*args, "--evalkit-mode=record").ret == 0
    recording = reviewed.root / "snapshots/recordings/triage/hand-refund.json"
    doc = json.loads(recording.read_text())
    del doc["owner"], doc["test"]  # as evalkit wrote it before markers
    recording.write_text(json.dumps(doc))
    assert pytester.runpytest(*args).ret == 0  # replay writes nothing
    assert "owner" not in json.loads(recording.read_text())
    assert pytester.runpytest(*args, "--evalkit-mode=record").ret == 0
    assert owner_kind(recording).owner == "test"


def test_another_fixture_s_per_test_files_follow_the_same_marker(reviewed: Project) -> None:
    """Files outside any suite folder (the evalkit_openai fixture's) with the marker."""
    reviewed.write("tests/test_app.py", "async def test_extract(evalkit_openai):\n    pass\n")
    folder = reviewed.root / "snapshots/recordings/tests-test_app"
    folder.mkdir(parents=True)
    kept = folder / "test_extract.json"
    kept.write_text(json.dumps({"owner": "test", "test": "tests/test_app.py::test_extract"}))
    gone = folder / "test_removed.json"
    gone.write_text(json.dumps({"owner": "test", "test": "tests/test_app.py::test_removed"}))
    plain = folder / "no_marker.json"
    plain.write_text(json.dumps({"interactions": {}}))
    found = unused(reviewed)
    assert "snapshots/recordings/tests-test_app/test_extract.json" not in found
    assert found["snapshots/recordings/tests-test_app/test_removed.json"].startswith(
        "the test that owned it"
    )
    assert found["snapshots/recordings/tests-test_app/no_marker.json"] == (
        "no suite is named 'tests-test_app' any more"
    )


@pytest.mark.parametrize(
    ("test", "defined"),
    [
        ("tests/test_t.py::test_a", True),
        ("tests/test_t.py::TestK::test_b[1-x]", True),
        ("tests/test_t.py::test_gone", False),
        ("tests/test_missing.py::test_a", False),
        ("../../outside.py::test_a", None),  # a marker is untrusted: never read outside
        ("not a test name", None),
        (None, None),
    ],
)
def test_test_defined(tmp_path: Path, test: str | None, defined: bool | None) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_t.py").write_text(
        "def test_a():\n    pass\n\nclass TestK:\n    async def test_b(self):\n        pass\n"
    )
    (tmp_path.parent / "outside.py").write_text("def test_a(): pass\n")
    assert owning_test_exists(tmp_path, test) is defined
