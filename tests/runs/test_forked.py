"""runs/forked.py: a replay shared with forked helper processes gives the run a single
process would give (results, verdicts, snapshots), survives a helper that dies, and keeps
every finished case on Ctrl-C. Each run is a real ``evalkit run`` in a child process (a
fork is only taken where no thread runs, and a test process has threads)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.config import Mode, Settings
from evalkit.results.folder import latest_results
from evalkit.runs.forked import processes_for
from evalkit.testing import TestingServer

from ..conftest import API_KEY, RULES, Project, make_project

CASES = 120
FAILING = [i for i in range(CASES) if i % 17 == 5]  # they expect 'technical': they fail

# A python check whose behaviour the test picks through the environment: each helper dies
# at its third case (while the run's own process takes its time); helpers are slow; every
# process blocks at its tenth case until a file appears.
GATE = """import os, time

calls = 0


def check(value, observation):
    global calls
    calls += 1
    parent = os.environ.get("DIE_UNLESS_CHILD_OF")
    if parent and os.getppid() != int(parent) and calls == 3:
        os._exit(3)  # a helper process dies with two results sent
    if parent and os.getppid() == int(parent):
        time.sleep(0.005)  # the run's own process is slow: every helper gets cases
    slow = os.environ.get("SLOW_UNLESS_CHILD_OF")
    if slow and os.getppid() != int(slow):
        time.sleep(0.02)  # helpers are slow: the run's own process takes most cases
    folder = os.environ.get("BLOCK_IN")
    if folder and calls == 10:
        open(os.path.join(folder, f"reached-{os.getpid()}"), "w").close()
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(folder, "go")) and time.monotonic() < deadline:
            time.sleep(0.01)
    return True
"""


def suite(n: int) -> str:
    cases = "".join(
        f'  - id: c{i:03d}\n    vars: {{body: "ticket {i}: I was charged twice"}}\n'
        f"    expect: {{category: {'technical' if i in FAILING else 'billing'}}}\n"
        for i in range(n)
    )
    return (
        "suite: triage\nprompt: triage@v1\nmodel: gpt-4.1-mini-2025-04-14\n"
        "params: {max_tokens: 100}\nschema: schemas.triage:Ticket\nvars: {company: Acme}\n"
        "assert:\n  - schema\n  - {type: python, fn: 'userchecks.gate:check'}\n"
        "  - {type: snapshot, exclude: [urgency]}\ncases:\n" + cases
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project of 120 cases recorded once (with their output snapshots); each test
    copies it."""
    root = tmp_path_factory.mktemp("recorded")
    project = make_project(root)
    project.write("userchecks/__init__.py", "")
    project.write("userchecks/gate.py", GATE)
    project.write("suites/triage.yaml", suite(CASES))
    server = TestingServer(RULES, api_key=API_KEY, keep_bodies=False).start()
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": API_KEY}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "evalkit.cli", "record", "--snapshot-update"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert done.returncode == 1, done.stdout + done.stderr  # the 'technical' cases fail
    shutil.rmtree(root / ".evalkit")
    return root


@pytest.fixture
def copy(recorded: Path, tmp_path: Path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(recorded, root)
    return Project(root)


def evalkit_run(project: Project, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "run", *args],
        cwd=project.root,
        env={**environ, "EVALKIT_TODAY": "2026-06-01", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def kept(folder: Path) -> dict[str, dict[str, object]]:
    """The results of a run folder by item, without the moment each finished."""
    out = {}
    for line in (folder / "results.jsonl").read_text().splitlines():
        record = json.loads(line)
        record.pop("finished_at")
        assert record["case"] not in out, "a case was kept twice"
        out[record["case"]] = record
    return out


def summary(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("suite ") or "│" in line]


def test_a_shared_replay_gives_what_one_process_gives(copy: Project) -> None:
    next(copy.root.glob("snapshots/recordings/triage/c007*")).unlink()  # c007: not run
    one = evalkit_run(copy, "--processes", "1", "--run-id", "one")
    three = evalkit_run(copy, "--processes", "3", "--run-id", "three")
    assert one.returncode == three.returncode == 1, three.stderr
    runs = copy.root / ".evalkit" / "runs"
    alone, shared = kept(runs / "one"), kept(runs / "three")
    assert len(shared) == CASES and shared == alone
    assert shared["c007"]["status"].startswith("not run")  # type: ignore[union-attr]
    assert sum(1 for r in shared.values() if not r["passed"]) == len(FAILING) + 1
    assert summary(three.stdout) == summary(one.stdout) and summary(one.stdout)
    assert "Traceback" not in three.stderr


def test_snapshots_read_by_helpers_count_as_used(copy: Project) -> None:
    outputs = copy.root / "snapshots" / "outputs" / "triage"
    assert len(list(outputs.glob("*.json"))) == CASES
    (outputs / "gone.json").write_text("{}")
    ran = evalkit_run(copy, "--processes", "3", "--snapshot-update")
    assert "1 unused snapshot(s) deleted: snapshots/outputs/triage/gone.json" in ran.stdout
    left = sorted(p.stem for p in outputs.glob("*.json"))
    assert left == [f"c{i:03d}" for i in range(CASES)]  # what any process read is kept


def test_a_helper_that_dies_loses_no_case(copy: Project) -> None:
    ran = evalkit_run(copy, "--processes", "3", DIE_UNLESS_CHILD_OF=str(os.getpid()))
    assert ran.returncode == 1, ran.stderr
    assert "2 helper process(es) stopped early (exit 3)" in ran.stderr
    results = latest_results(next((copy.root / ".evalkit" / "runs").iterdir()))
    assert sorted(r.case for r in results) == [f"c{i:03d}" for i in range(CASES)]
    assert sum(not r.passed for r in results) == len(FAILING)


FRONTS = {  # the command, its flag for the process count, its exit code when interrupted
    "run": ([sys.executable, "-m", "evalkit.cli", "run"], "--processes", 130),
    "pytest": (
        [sys.executable, "-m", "pytest", "--evalkit", "suites/", "-p", "no:cacheprovider"],
        "--evalkit-processes",
        2,
    ),
}


@pytest.mark.parametrize(("front", "processes"), [("run", "1"), ("run", "3"), ("pytest", "3")])
def test_ctrl_c_keeps_what_finished_and_resume_runs_the_rest(
    copy: Project, tmp_path: Path, front: str, processes: str
) -> None:
    """A replay never waits on I/O: Ctrl-C must still stop it (one process or several)."""
    flags = tmp_path / "flags"
    flags.mkdir()
    command, flag, interrupted = FRONTS[front]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    # The signal comes while the run's own process is blocked in a check: then it lands in
    # evalkit's code, not between two of pytest's items (where pytest 9.2's report of an
    # interrupt at an instruction without a line number can fail on CPython 3.11).
    slow = {"SLOW_UNLESS_CHILD_OF": str(os.getpid())}
    proc = subprocess.Popen(
        [*command, flag, processes],
        cwd=copy.root,
        env={**environ, "EVALKIT_TODAY": "2026-06-01", "BLOCK_IN": str(flags), **slow},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
    )
    deadline = time.monotonic() + 60
    while not (flags / f"reached-{proc.pid}").exists() and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    (flags / "go").touch()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == interrupted, out[-2000:] + err
    assert "Traceback" not in err
    folder = only_run(copy)
    before = kept(folder)
    assert len(before) < CASES
    if front == "run":
        assert f"resume with: evalkit run --resume {folder.name}" in err
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # no helper outlives the run
    resumed = evalkit_run(copy, "--resume", folder.name, "--processes", processes)
    assert resumed.returncode == 1, resumed.stderr
    after = kept(folder)  # every case exactly once, across both runs
    assert sorted(after) == [f"c{i:03d}" for i in range(CASES)]


def test_who_shares_a_run(tmp_path: Path) -> None:
    auto = Settings(root=tmp_path)
    cpus = len(os.sched_getaffinity(0))
    assert processes_for(auto, Mode.REPLAY, 999, threads=1) == 1
    assert processes_for(auto, Mode.REPLAY, 1000, threads=1) == min(cpus, 4)
    assert processes_for(auto, Mode.LIVE, 100_000, threads=1) == 1  # waits on the API
    assert processes_for(auto, Mode.REPLAY, 100_000, threads=2) == 1  # a fork copies no thread
    given = Settings(root=tmp_path, processes=8)
    assert processes_for(given, Mode.REPLAY, 5, threads=1) == 5
    assert processes_for(given, Mode.REPLAY, 1, threads=1) == 1
    assert processes_for(given, Mode.RECORD, 50, threads=1) == 1


def test_a_bad_process_count_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--processes", "0"]) == 2
    err = capsys.readouterr().err
    assert "processes" in err and "greater than or equal to 1" in err and "Traceback" not in err


def test_only_whole_results_from_a_helper_are_kept() -> None:
    """What a helper sends is checked before it is kept: a line that is not a result, an
    index out of the plan, a case already kept, a malformed snapshot state."""
    from evalkit.results import CaseResult, SampleResult
    from evalkit.runs.forked import Helpers

    plan = ["a", "b", "c"]  # only its length is read here
    helpers = Helpers(plan, 1, -1, [])  # type: ignore[arg-type]
    kept_here: list[tuple[str, str | None]] = []

    def deliver(result: CaseResult, line: str | None = None) -> None:
        kept_here.append((result.case, line))

    good = CaseResult(suite="s", case="b", passed=True, samples=[SampleResult(passed=True)])
    text = good.model_dump_json()
    for line in [
        b"R1\t" + text.encode(),
        b"R1\t" + text.encode(),  # the same case again
        b"R7\t" + text.encode(),  # not in the plan
        b"R-1\t" + text.encode(),
        b"R0\t" + text.encode()[:40],  # torn
        b"R0\tnot json",
        b"X0\t" + text.encode(),  # not a result line
        b'S{"used": "abc", "written": [], "held": []}',
        b'S{"used": [], "written": [], "held": [["only-one"]]}',
        b'S{"used": ["snapshots/outputs/s/b.json"], "written": [], "held": [["f", "c"]]}',
    ]:
        helpers._line(line, deliver)
    assert kept_here == [("b", text)]
    assert list(helpers.taken) == [0, 1, 0]  # a and c: still to run here
    assert helpers.dropped == 8
    assert len(helpers.snapshot_states) == 1


def evalkit_pytest(project: Project, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--evalkit", "suites/", "-p", "no:cacheprovider", *args],
        cwd=project.root,
        env={**environ, "EVALKIT_TODAY": "2026-06-01", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def only_run(project: Project) -> Path:
    (folder,) = (project.root / ".evalkit" / "runs").iterdir()
    return folder


def test_pytest_shares_a_big_replay_and_reports_each_item_as_one_process_does(
    copy: Project,
) -> None:
    one = evalkit_pytest(copy, "--evalkit-processes", "1", "-rf")
    alone = kept(only_run(copy))
    shutil.rmtree(copy.root / ".evalkit")
    three = evalkit_pytest(copy, "--evalkit-processes", "3", "-rf")
    assert one.returncode == three.returncode == 1, three.stdout[-3000:]
    assert kept(only_run(copy)) == alone and len(alone) == CASES
    passed = f"{CASES - len(FAILING)} passed"
    assert f"{len(FAILING)} failed, {passed}" in three.stdout
    failed = sorted(line for line in three.stdout.splitlines() if line.startswith("FAILED"))
    assert failed == sorted(line for line in one.stdout.splitlines() if line.startswith("FAILED"))
    assert len(failed) == len(FAILING)


def test_pytest_a_helper_that_dies_loses_no_item(copy: Project) -> None:
    ran = evalkit_pytest(copy, "--evalkit-processes", "3", DIE_UNLESS_CHILD_OF=str(os.getpid()))
    assert ran.returncode == 1, ran.stdout[-3000:]
    assert f"{len(FAILING)} failed, {CASES - len(FAILING)} passed" in ran.stdout
    assert "2 helper process(es) stopped early (exit 3)" in ran.stdout
    assert sorted(kept(only_run(copy))) == [f"c{i:03d}" for i in range(CASES)]


def test_pytest_snapshots_read_by_helpers_count_as_used(copy: Project) -> None:
    outputs = copy.root / "snapshots" / "outputs" / "triage"
    (outputs / "gone.json").write_text("{}")
    ran = evalkit_pytest(copy, "--evalkit-processes", "3", "--snapshot-update")
    assert "1 unused snapshot(s) deleted: snapshots/outputs/triage/gone.json" in ran.stdout
    assert sorted(p.stem for p in outputs.glob("*.json")) == [f"c{i:03d}" for i in range(CASES)]


def test_pytest_counts_each_written_snapshot_once_across_suites(copy: Project) -> None:
    """A suite run before the shared one wrote snapshots: the helpers forked later inherit
    that state and must not report it again."""
    triage = copy.suite.read_text()
    head, _, _ = triage.partition("cases:\n")
    copy.write(
        "suites/mini.yaml",
        head.replace("suite: triage", "suite: mini")
        + "cases:\n"
        + "".join(triage.partition("cases:\n")[2].splitlines(keepends=True)[:6]),
    )
    recordings = copy.root / "snapshots" / "recordings"
    shutil.copytree(recordings / "triage", recordings / "mini")
    ran = evalkit_pytest(copy, "--evalkit-processes", "3", "--snapshot-update")
    assert f"{CASES + 2 - len(FAILING)} passed" in ran.stdout, ran.stdout[-3000:]
    assert "2 snapshot(s) written or updated" in ran.stdout
    assert len(list((copy.root / "snapshots" / "outputs" / "mini").glob("*.json"))) == 2


def test_a_results_file_that_cannot_grow_stops_a_shared_run_cleanly(copy: Project) -> None:
    """The run's own process cannot keep a helper's line (a file-size limit, as a full disk):
    exit 2 with the reason, whole lines only, and no helper left behind."""
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalkit.cli", "run", "--processes", "3"],
        cwd=copy.root,
        env={**environ, "EVALKIT_TODAY": "2026-06-01"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limited,  # the limit, set in the child before it starts
        start_new_session=True,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "cannot write results: File too large" in err and "Traceback" not in err
    text = (only_run(copy) / "results.jsonl").read_text()
    assert text.endswith("\n") and 0 < len(kept(only_run(copy))) < CASES
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # no helper outlives the run
