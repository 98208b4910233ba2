"""A run whose results cannot be written (a full disk, a file-size limit) stops with a clear
error, and the results file keeps whole lines only: the cases written before stay readable
and nothing half-written joins them. The limit is a real one (RLIMIT_FSIZE) in a child
process, so the system itself refuses the write partway."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

resource = pytest.importorskip("resource")

CHILD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from evalkit.errors import ConfigError
    from evalkit.results import CaseResult, SampleResult
    from evalkit.results.folder import RunWriter

    folder = Path(sys.argv[1])
    with RunWriter(folder) as writer:
        writer.write(CaseResult(suite="s", case="small", passed=True, samples=[]))
        size = (folder / "results.jsonl").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 500, size + 500))
        big = [SampleResult(sample=0, passed=True, output="x" * 5000)]
        try:
            writer.write(CaseResult(suite="s", case="big", passed=True, samples=big))
        except ConfigError as exc:
            print("ERROR", exc)
            sys.exit(2)
    print("no error")
    """
)


def test_a_write_the_system_refuses_partway_leaves_whole_lines(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot write results: File too large" in done.stdout
    assert "evalkit run --resume" in done.stdout and "Traceback" not in done.stderr
    text = (folder / "results.jsonl").read_text()
    assert text.endswith("\n")
    assert [json.loads(line)["case"] for line in text.splitlines()] == ["small"]
