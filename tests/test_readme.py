"""The README's walkthrough works exactly as written (against the bundled server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from evalkit.testing import TestingServer

README = Path(__file__).resolve().parent.parent / "README.md"


def test_first_suite_walkthrough(tmp_path: Path) -> None:
    section = README.read_text().split("## Your first suite, from an empty folder", 1)[1]
    script = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert script is not None
    with TestingServer() as server:
        text = script.group(1).replace("8765", str(server.port))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        env.pop("EVALKIT_MODE", None)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", text],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert server.stats.by_path == {"/v1/chat/completions": 1}  # recorded once
    assert "1 passed" in done.stdout  # then replayed offline by pytest
    assert (tmp_path / "demo" / "snapshots" / "recordings" / "greet" / "ada.json").is_file()
