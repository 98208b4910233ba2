"""Make the viewer's screenshots in docs/: ``python docs/screenshots.py``.

The example project from ``evalkit init`` is run four times from its recordings (offline):
two earlier runs for the history, then ``base`` (prompt v2) and ``head`` (back to prompt v1,
which regresses a case), as the CI gate does on a pull request. The viewer page of base and
head is then opened in Debian's chromium, driven by Playwright, and photographed:

- docs/viewer-compare.png: the comparison, opened on the regressed case;
- docs/viewer-run.png: the head run alone, opened on its failing case;
- docs/viewer-history.png: pass rate, cost per 1,000 cases and p95 latency across the runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from evalkit.view import render_view  # noqa: E402
from evalkit.view.browser import CHROMIUM, FLAGS  # noqa: E402


def evalkit(cwd: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVALKIT_", "OPENAI_"))}
    subprocess.run(
        [sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, env=env, capture_output=True
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="evalkit-shots-"))
    try:
        project = tmp / "acme"
        evalkit(tmp, "init", str(project))
        for run_id, variant in (
            ("2026-01-05", ["--variant", "v1"]),
            ("2026-01-12", []),
            ("base", []),
            ("head", ["--variant", "v1"]),
        ):
            evalkit(project, "run", "--run-id", run_id, *variant)
            time.sleep(1.1)  # runs are ordered by the second their last case finished
        os.chdir(project)  # paths in the page read as in the project, as in CI
        runs = Path(".evalkit", "runs")
        page = project / "evals-view.html"
        page.write_text(
            render_view([runs / "base", runs / "head"], results_dir=runs, out=page),
            encoding="utf-8",
        )
        os.chdir(DOCS)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            tab = browser.new_page(viewport={"width": 1400, "height": 860})
            for name, address in (
                ("viewer-compare.png", ""),
                ("viewer-run.png", "#view=run:1"),
                ("viewer-history.png", "#view=run:1&tab=history"),
            ):
                tab.goto("about:blank")
                tab.goto(page.as_uri() + address)
                tab.wait_for_selector("body[data-ready=true]")
                tab.wait_for_timeout(300)
                tab.screenshot(path=str(DOCS / name))
                print(f"wrote docs/{name}")
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
