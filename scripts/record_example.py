"""Re-record the example suite against evalkit's bundled testing server (no API key).

    python scripts/record_example.py

The recordings under snapshots/recordings/ then say, in each interaction's "source",
that they came from the testing server and not from OpenAI. To record against the real
API instead: export OPENAI_API_KEY=sk-... and run
`evalkit run --mode rerecord --all-variants --snapshot-update` (then review the snapshots).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evalkit.cli import main
from evalkit.testing import Script, TestingServer

ROOT = Path(__file__).resolve().parent.parent


def record() -> int:
    os.chdir(ROOT)
    script = Script.load(ROOT / "scripts" / "triage-model.yaml")
    with TestingServer(script) as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "sk-evalkit-testing-server"
        codes = [main(["run", "--mode", "rerecord", "--all-variants", "--snapshot-update"])]
    # v1 fails invoice-copy on purpose (the example's diff shows v2 fixing it): exit 1 from
    # a run means a gate failed, not that recording did.
    return 2 if 2 in codes else 0


if __name__ == "__main__":
    sys.exit(record())
