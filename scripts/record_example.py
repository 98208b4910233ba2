"""Re-record the example suite against evalkit's bundled testing server (no API key).

    python scripts/record_example.py

The recordings under snapshots/recordings/ then say, in each interaction's "source",
that they came from the testing server and not from OpenAI. To record against the real
API instead: export OPENAI_API_KEY=sk-... and run
`evalkit run --mode rerecord --all-variants --snapshot-update` (then review the snapshots).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from evalkit.runs.session import record_project
from evalkit.testing import Script, TestingServer

ROOT = Path(__file__).resolve().parent.parent


def record() -> int:
    rules = [
        rule
        for name in ("support-model.yaml", "triage-model.yaml")
        for rule in Script.load(ROOT / "scripts" / name).rules
    ]
    script = Script(rules=rules)
    results = ROOT / ".evalkit" / "record-example"
    with TestingServer(script) as server:
        record_project(ROOT, server.base_url, results=results)
    shutil.rmtree(results, ignore_errors=True)
    # triage's v1 fails invoice-copy on purpose (its diff shows v2 fixing it), and
    # support's v2 skips the order lookup on purpose (its diff shows the regression)
    return 0


if __name__ == "__main__":
    sys.exit(record())
