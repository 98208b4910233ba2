"""Where evalkit expects a file, only a regular file is read: a FIFO (which would block until
a writer came), a device or a folder is refused at once naming it, and a symlink loop is
exit 2 with a message, never a traceback."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.errors import ConfigError
from evalkit.io.files import Missing, inside, read_bytes, read_text, resolved

from ..conftest import SUITE, Project

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@contextmanager
def fifo(path: Path) -> Iterator[Path]:
    """A FIFO at ``path``. Should evalkit open it to read (the bug), a writer connects and
    closes it, so the read ends with EOF and the test fails on its assertions, not by hanging."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    done = threading.Event()

    def writer() -> None:
        while not done.is_set():
            with suppress(OSError), open(path, "wb"):
                pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        done.set()
        for _ in range(100):  # let the writer's open return, each time it is waiting
            with suppress(OSError):
                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
            thread.join(timeout=0.05)
            if not thread.is_alive():
                break


def test_the_readers_refuse_what_is_not_a_regular_file(tmp_path: Path) -> None:
    with fifo(tmp_path / "pipe") as pipe:
        for read in (read_text, read_bytes):
            with pytest.raises(ConfigError, match=r"pipe: cannot read x: it is a FIFO"):
                read(pipe, "x")
    with pytest.raises(ConfigError, match="it is a folder"):
        read_text(tmp_path, "x")
    if Path("/dev/zero").exists():  # a device that never ends
        with pytest.raises(ConfigError, match="it is a character device"):
            read_bytes(Path("/dev/zero"), "x")


def test_only_absence_is_missing(tmp_path: Path) -> None:
    """A reader that takes "nothing there" as none (a case without a recording) catches
    Missing: nothing, or a folder, is Missing; a FIFO or a device is not, so it is refused
    rather than read as "none"."""
    for absent in (tmp_path / "nothing.json", tmp_path / "no-folder" / "x.json", tmp_path):
        with pytest.raises(Missing, match="cannot read x"):
            read_bytes(absent, "x")
    with fifo(tmp_path / "pipe") as pipe:
        with pytest.raises(ConfigError) as caught:
            read_bytes(pipe, "x")
        assert not isinstance(caught.value, Missing)
    if Path("/dev/zero").exists():
        with pytest.raises(ConfigError) as caught:
            read_bytes(Path("/dev/zero"), "x")
        assert not isinstance(caught.value, Missing)


def test_a_symlink_loop_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(ConfigError, match="is a symlink loop"):
        resolved(tmp_path / "loop", "run folder")
    with pytest.raises(ConfigError, match="is a symlink loop"):
        inside(tmp_path, tmp_path / "loop" / "x", "run folder")
    with pytest.raises(ConfigError, match="loop: cannot read file: Too many levels of symbolic"):
        read_text(tmp_path / "loop")


IMAGE_PROMPT = '{% message "user" %}\n{{ body }}\n{% image "pic.png" %}{% endmessage %}\n'

# where a file is expected: (what to set up, the FIFO's path, the command, the message)
PLACES: dict[str, tuple[Callable[[Project], None], str, list[str], str]] = {
    "{% image %} path": (
        lambda p: p.write("prompts/triage/v1.j2", IMAGE_PROMPT),
        "suites/pic.png",
        ["check"],
        "image 'pic.png' cannot be read (it is a FIFO",
    ),
    "suite named": (lambda p: None, "suites/piped.yaml", ["check", "suites/piped.yaml"], "FIFO"),
    "cases_from file": (
        lambda p: p.write("suites/triage.yaml", SUITE + "  - cases_from: more.jsonl\n"),
        "suites/more.jsonl",
        ["run"],
        "more.jsonl: cannot read cases file: it is a FIFO",
    ),
    "prompt template": (lambda p: None, "prompts/triage/v1.j2", ["check"], "it is a FIFO"),
    "recording": (
        lambda p: None,
        "snapshots/recordings/triage/refund.json",
        ["run"],
        "refund.json: cannot read the recording: it is a FIFO",
    ),
    "--results": (lambda p: None, "piped-results", ["run", "--results", "piped-results"], ""),
    "run's results.jsonl": (
        lambda p: p.write(".evalkit/runs/r1/run.json", '{"run_id": "r1"}'),
        ".evalkit/runs/r1/results.jsonl",
        ["report", "r1"],
        "results.jsonl: cannot read results: it is a FIFO",
    ),
}


@pytest.mark.parametrize("place", PLACES)
def test_a_fifo_where_a_file_is_expected_is_refused_at_once(
    project: Project, capsys: pytest.CaptureFixture[str], place: str
) -> None:
    setup, rel, argv, fragment = PLACES[place]
    setup(project)
    with fifo(project.root / rel):
        capsys.readouterr()
        assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert fragment in err, err


@pytest.mark.parametrize("flag", [["run", "--run-id"], ["run", "--results"], ["report"]])
def test_a_symlink_loop_given_as_a_run_or_results_is_exit_2(
    project: Project, capsys: pytest.CaptureFixture[str], flag: list[str]
) -> None:
    runs = project.root / ".evalkit" / "runs"
    runs.mkdir(parents=True)
    (runs / "loop").symlink_to(runs / "loop")
    (project.root / "loop").symlink_to(project.root / "loop")
    assert main([*flag, "loop"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "RuntimeError" not in err
    assert "loop" in err, err
