"""The first-suite walkthrough works exactly as written (against the bundled server).

It lives in docs/getting-started/first-suite.md and, verbatim, in the README's tour: the docs
page's block is run, and the README's must be the same text, so neither can drift.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from evalkit.testing import TestingServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGE = ROOT / "docs" / "getting-started" / "first-suite.md"
HEADING = re.compile(r"^#+ Your first suite, from an empty folder$", re.MULTILINE)


def walkthrough(path: Path) -> str:
    """The first bash block after the walkthrough's heading in `path`."""
    text = path.read_text(encoding="utf-8")
    heading = HEADING.search(text)
    assert heading is not None, f"{path.name}: no 'Your first suite, from an empty folder' heading"
    script = re.search(r"```bash\n(.*?)```", text[heading.end() :], re.DOTALL)
    assert script is not None, f"{path.name}: no bash block after the walkthrough's heading"
    return script.group(1)


def test_readme_holds_the_docs_walkthrough_verbatim() -> None:
    assert walkthrough(README) == walkthrough(PAGE)


def test_first_suite_walkthrough(tmp_path: Path) -> None:
    with TestingServer() as server:
        text = walkthrough(PAGE).replace("8765", str(server.port))
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
