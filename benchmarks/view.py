"""The viewer with 10,000 cases: ``python benchmarks/view.py [--cases N]`` prints the figures.

Two runs of N cases each are written as `evalkit run` writes them (RunWriter, one line per
case, each with 13 checks, the rendered request and a JSON output; ~4% failing, ~1% errors),
then the page for one run and the page for their comparison are rendered and opened in
headless Chromium (Debian's, driven by Playwright). Figures, each measured by the page's own
clock (performance.now()) unless said otherwise:

- render: seconds to load the runs and write the page (Python), and the page's size;
- ready: from navigation start to the list drawn and usable;
- filter: a click on the "failed" status chip until the next frame is drawn (the goal: under
  a second), and the filter's own time (filter + sort + draw the visible rows);
- search: one query over ids, vars and outputs of every case (the first search also builds
  the search text);
- sort: a click on a column header until the next frame;
- open: a click on a case until its detail is drawn.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.results import CaseResult  # noqa: E402
from evalkit.results.folder import RunWriter  # noqa: E402
from evalkit.view import render_comparison, render_run  # noqa: E402
from evalkit.view.browser import CHROMIUM, FLAGS  # noqa: E402

CATEGORIES = ["billing", "technical", "account", "other"]


def make_case(i: int, rng: random.Random, worse: bool) -> dict[str, Any]:
    fail = rng.random() < (0.06 if worse else 0.04)
    error = not fail and rng.random() < 0.01
    category = "other" if fail else "billing"
    output = json.dumps(
        {
            "category": category,
            "urgency": rng.choice(["low", "medium", "high"]),
            "summary": f"Customer {i} was charged twice this month and wants a refund.",
        }
    )
    checks = [
        {"index": k, "type": t, "path": p, "passed": True, "message": m, "line": 10 + k}
        for k, (t, p, m) in enumerate(
            [
                ("schema", None, "output is valid Ticket"),
                ("length at summary", "summary", "expected length at summary in [10, 120]"),
                ("input_tokens", None, "expected input_tokens <= 1200, got 99"),
                ("output_tokens", None, "expected output_tokens <= 300, got 29"),
                ("cost_usd", None, "expected cost_usd <= 0.002"),
                ("latency_ms", None, "expected latency_ms <= 8000 ms"),
                ("not finish_reason", None, ""),
                ("equals at category", "category", f"expected billing at category, got {category}"),
                ("one_of at urgency", "urgency", "expected at urgency one of [low, medium, high]"),
                ("contains at summary", "summary", "expected at summary to contain 'refund'"),
                ("regex at summary", "summary", "matched"),
                ("similar at summary", "summary", "similarity 0.81"),
                ("snapshot", None, "output matches snapshots/outputs/bench/c.json"),
            ]
        )
    ]
    checks[7]["passed"] = not fail
    checks[11]["score"] = round(rng.uniform(0.7, 0.95), 3)
    body = f"Ticket {i}: I was charged twice this month, order A{i:05d}"
    sample: dict[str, Any] = {
        "sample": 0,
        "passed": not fail,
        "output": output,
        "checks": checks,
        "request_key": f"{i:032x}",
        "request_id": f"req_{i:024x}",
        "model": "gpt-4.1-mini-2025-04-14",
        "source": "recording",
        "latency_ms": round(rng.lognormvariate(6.2, 0.35), 1),
        "input_tokens": 99,
        "output_tokens": 29 + rng.randrange(10),
        "cost_usd": 8.6e-05,
        "finish_reason": "stop",
        "messages": [
            {
                "role": "system",
                "content": "You triage support tickets for Acme. Answer with the category, urgency and a one-line summary.",
            },
            {"role": "user", "content": body},
        ],
    }
    if error:
        sample = {
            "sample": 0,
            "passed": False,
            "error": "no recording for this request: the prompt, model or params changed",
            "request_key": f"{i:032x}",
        }
    return {
        "suite": f"suite{i % 4}",
        "case": f"c{i:05d}",
        "file": "suites/bench.yaml",
        "line": 20 + i,
        "passed": not fail and not error,
        "prompt": "triage@v2",
        "model_requested": "gpt-4.1-mini-2025-04-14",
        "mode": "replay",
        "samples": [sample],
        "finished_at": "2026-01-01T00:00:00+00:00",
        "vars": {"body": body, "company": "Acme"},
    }


def write_run(folder: Path, n: int, seed: int, worse: bool) -> Path:
    rng = random.Random(seed)
    cases = [make_case(i, rng, worse) for i in range(n)]
    with RunWriter(folder, {"run_id": folder.name, "mode": "replay"}) as writer:
        for c in cases:
            writer.write(CaseResult.model_validate(c))
    # RunWriter keeps CaseResult's fields; write the newer ones (messages, vars) as well
    with (folder / "results.jsonl").open("w") as handle:
        for c in cases:
            handle.write(json.dumps(c) + "\n")
    return folder


NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"


def timed_click(page: Any, selector: str) -> float:
    """Milliseconds from a click to the next frame drawn, by the page's clock."""
    return float(
        page.evaluate(
            """async sel => {
                 const t = performance.now();
                 document.querySelector(sel).click();
                 await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
                 return performance.now() - t; }""",
            selector,
        )
    )


def measure(browser: Any, path: Path, label: str, n: int) -> list[str]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    started = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
    wall = time.perf_counter() - started
    ready = page.evaluate("window.__evalkit.readyAt")
    lines = [
        f"{label}: ready {ready:.0f} ms after navigation start ({wall:.2f} s wall, Playwright)"
    ]
    chip = "#status-filter [data-status=failed]"
    click = timed_click(page, chip)
    own = page.evaluate("window.__evalkit.lastFilterMs")
    shown = page.text_content("#count")
    goal = "under 1 s: yes" if click < 1000 else "under 1 s: NO"
    lines.append(
        f"  filter 'failed': {click:.0f} ms click to frame, {own:.0f} ms filter+sort+draw ({shown}); {goal}"
    )
    timed_click(page, chip)  # off again
    for query in ("charged twice", "a00042", "zzz-no-match"):
        took = page.evaluate(
            """async q => {
                 const box = document.getElementById('search');
                 box.value = q; box.dispatchEvent(new Event('input'));
                 while (window.__evalkit.state.q !== q) await new Promise(r => setTimeout(r, 5));
                 return window.__evalkit.lastFilterMs; }""",
            query,
        )
        lines.append(f"  search {query!r}: {took:.0f} ms ({page.text_content('#count')})")
    page.evaluate(
        """async () => { const box = document.getElementById('search');
             box.value = ''; box.dispatchEvent(new Event('input'));
             while (window.__evalkit.state.q !== '') await new Promise(r => setTimeout(r, 5)); }"""
    )
    sort = timed_click(page, ".list-head [data-sort=dur]")
    lines.append(f"  sort by duration: {sort:.0f} ms click to frame")
    open_ = timed_click(page, "#case-list .row:nth-child(3)")
    lines.append(f"  open a case: {open_:.0f} ms click to frame")
    scroll = page.evaluate(
        """async () => { const list = document.getElementById('case-list');
             const t = performance.now();
             for (let i = 1; i <= 20; i++) { list.scrollTop = i * 5000;
               await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); }
             return (performance.now() - t) / 20; }"""
    )
    lines.append(f"  scroll: {scroll:.0f} ms per jump of ~170 rows")
    if errors:
        lines.append(f"  page errors: {errors}")
    context.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("playwright is not installed: pip install -e '.[dev]'")
    if not Path(CHROMIUM).is_file():
        sys.exit("Debian's chromium is not installed: apt-get install chromium")
    n = args.cases
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-view-bench-"))
    try:
        base = write_run(tmp / "base", n, seed=1, worse=False)
        head = write_run(tmp / "head", n, seed=2, worse=True)
        size = (head / "results.jsonl").stat().st_size / 1e6
        print(f"evalkit view benchmark: {n:,} cases a run ({size:.1f} MB of results.jsonl)")
        started = time.perf_counter()
        run_page = tmp / "run.html"
        run_page.write_text(render_run(head), encoding="utf-8")
        t_run = time.perf_counter() - started
        started = time.perf_counter()
        cmp_page = tmp / "cmp.html"
        cmp_page.write_text(render_comparison(base, head), encoding="utf-8")
        t_cmp = time.perf_counter() - started
        print(f"render one run: {t_run:.2f} s, page {run_page.stat().st_size / 1e6:.1f} MB")
        print(f"render a comparison: {t_cmp:.2f} s, page {cmp_page.stat().st_size / 1e6:.1f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for line in measure(browser, run_page, "one run", n):
                print(line)
            for line in measure(browser, cmp_page, "comparison", n):
                print(line)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
