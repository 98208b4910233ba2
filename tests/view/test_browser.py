"""The viewer in a real browser: Playwright drives Debian's chromium (Playwright's own browser
download does not work offline), clicking filters, searching, sorting, opening cases,
switching to a comparison and following the history charts, and checking what is shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks.calibration import read_labels
from evalkit.view import render_comparison, render_run, render_view
from evalkit.view.browser import CHROMIUM, FLAGS

from .test_view import XSS, base_cases, billing, case, check, head_cases, sample, write_run

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


class Viewer:
    """A page of the viewer, with every script error and console error it raised."""

    def __init__(self, browser: Any):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: Path, hash_: str = "") -> Any:
        self.page.goto(path.as_uri() + hash_)
        self.page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        return self.page

    def rows(self) -> list[str]:
        """The keys of the rows in the list, top to bottom."""
        return list(
            self.page.eval_on_selector_all(
                "#case-list .row",
                "rows => rows.sort((a, b) => a.offsetTop - b.offsetTop).map(r => r.dataset.key)",
            )
        )

    def search(self, text: str) -> None:
        """Type into the search box and wait for the (debounced) search to apply."""
        self.page.fill("#search", text)
        self.page.wait_for_function("q => window.__evalkit.state.q === q", arg=text)

    def count(self, text: str) -> None:
        self.page.wait_for_function(
            "t => document.getElementById('count').textContent === t", arg=text
        )


@pytest.fixture
def viewer(browser: Any) -> Iterator[Viewer]:
    v = Viewer(browser)
    yield v
    v.context.close()
    assert v.errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in v.requests), v.requests


@pytest.fixture
def run_page(tmp_path: Path) -> Path:
    out = tmp_path / "run.html"
    out.write_text(render_run(write_run(tmp_path / "head", head_cases())))
    return out


@pytest.fixture
def cmp_page(tmp_path: Path) -> Path:
    base = write_run(tmp_path / "base", base_cases())
    head = write_run(tmp_path / "head", head_cases())
    out = tmp_path / "cmp.html"
    out.write_text(render_comparison(base, head))
    return out


def chips(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all("#status-filter .chip", "cs => cs.map(c => c.textContent)")
    )


def test_filters_search_and_sort(viewer: Viewer, run_page: Path) -> None:
    page = viewer.open(run_page)
    assert chips(page) == ["all 7", "error 1", "failed 2", "not run 1", "passed 3"]
    # failing cases first: the default order is by status
    assert viewer.rows()[:4] == [
        "triage::outage",
        "triage::flaky",
        "triage::invoice",
        "triage::skipped",
    ]
    page.click("#status-filter [data-status=failed]")
    viewer.count("2 of 7 cases")
    assert set(viewer.rows()) == {"triage::invoice", "triage::flaky"}
    page.click("#status-filter [data-status=error]")
    viewer.count("3 of 7 cases")
    page.click("#status-filter [data-status='']")
    viewer.count("7 cases")

    page.select_option("#suite-filter", "faq")
    assert viewer.rows() == ["faq::other-suite"]
    page.select_option("#suite-filter", "")
    page.select_option("#check-filter", "fail:equals")
    assert viewer.rows() == ["triage::invoice"]
    page.select_option("#check-filter", "has:one_of at urgency")
    assert viewer.rows() == ["triage::flaky"]
    page.select_option("#check-filter", "")

    viewer.search("charged twice")  # in the vars and the rendered messages
    viewer.count("1 of 7 cases")
    assert viewer.rows() == ["triage::refund"]
    viewer.search("invoice copy")  # in an output
    viewer.count("1 of 7 cases")
    assert viewer.rows() == ["triage::invoice"]
    viewer.search("no recording")  # in an error
    viewer.count("1 of 7 cases")
    viewer.search("")
    viewer.count("7 cases")

    page.click(".list-head [data-sort=dur]")  # slowest first
    assert viewer.rows()[0] == "triage::flaky"
    assert page.get_attribute(".list-head [data-sort=dur]", "aria-sort") == "descending"
    page.click(".list-head [data-sort=dur]")
    assert viewer.rows()[-1] == "triage::flaky"
    page.click(".list-head [data-sort=name]")
    assert viewer.rows()[0] == "triage::flaky"  # a-z: flaky, injection, invoice, ...

    page.click("[data-key='triage::flaky']")
    page.focus("#case-list")
    page.keyboard.press("ArrowDown")
    assert page.locator("#case-title").inner_text() == "triage::injection"
    page.keyboard.press("ArrowUp")
    assert page.locator("#case-title").inner_text() == "triage::flaky"


def test_a_case_opens_to_its_request_output_turns_and_usage(viewer: Viewer, run_page: Path) -> None:
    page = viewer.open(run_page)
    page.click("[data-key='triage::refund']")
    detail = page.locator("#detail")
    assert detail.locator("#case-title").inner_text() == "triage::refund"
    roles = detail.locator(".msg .role").all_inner_texts()
    assert roles == ["system", "user"]
    assert "You triage support tickets for Acme." in detail.locator(".msg").first.inner_text()
    thumb = detail.locator("img.thumb")
    assert thumb.get_attribute("src", timeout=2000).startswith("data:image/png;base64,")
    assert page.evaluate("document.querySelector('img.thumb').naturalWidth") == 1
    output = detail.locator(".output-part pre.json").inner_text()
    assert json.loads(output) == {
        "category": "billing",
        "urgency": "high",
        "summary": "Double charge, wants a refund",
    }
    turns = detail.locator(".turn")
    assert turns.count() == 2
    first_turn = turns.nth(0).inner_text()
    assert "lookup_order" in first_turn and '"order_id": "A1234"' in first_turn
    assert "tool results" in first_turn and '"status": "paid"' in first_turn
    assert "first token 12 ms" in first_turn
    tools = detail.locator(".part:has(h3:text('Tool calls'))")
    assert "lookup_order" in tools.inner_text() and "call_1" in tools.inner_text()
    facts = detail.locator(".part:has(h3:text('Usage')) dl").inner_text()
    for expected in ("time to first token", "13 ms", "req_0abc", "recording"):
        assert expected in facts
    assert "snapshots/recordings/triage/refund.json" in facts
    assert '"body": "I was charged twice"' in detail.inner_text()
    assert detail.locator("#why").count() == 0

    page.click("[data-key='triage::invoice']")
    why = detail.locator("#why").inner_text()
    assert "Why it failed" in why and "expected billing at category, got other" in why
    failing = detail.locator("table.checks tr.bad")
    assert failing.count() == 1 and "equals at category" in failing.inner_text()
    assert "score" in detail.locator("table.checks thead").inner_text()  # a scored check
    assert "triage@v2" in detail.locator("dl.facts.wide").inner_text()

    page.click("[data-key='triage::outage']")
    assert "no recording for this request" in detail.locator(".error-part").inner_text()
    page.click("[data-key='triage::skipped']")
    assert "not run: circuit open" in detail.locator("#why").inner_text()
    assert page.evaluate("location.hash") == "#view=run:0&case=triage%3A%3Askipped"


def test_every_sample_of_a_repeat(viewer: Viewer, run_page: Path) -> None:
    page = viewer.open(run_page)
    page.click("[data-key='triage::flaky']")
    tabs = page.locator(".sample-tab")
    assert tabs.all_inner_texts() == ["sample 0 ✓", "sample 1 ✗", "sample 2 ✓"]
    assert tabs.nth(1).get_attribute("aria-selected") == "true"  # the failing one first
    assert "Refund for double charge" in page.locator(".output-part").inner_text()
    assert "sample 1: " in page.locator("#why").inner_text()
    tabs.nth(2).click()
    assert "Double charge, wants a refund" in page.locator(".output-part").inner_text()
    assert page.locator("table.checks tr.bad").count() == 0


def test_a_model_answer_holding_markup_is_shown_as_text(viewer: Viewer, run_page: Path) -> None:
    page = viewer.open(run_page)
    viewer.search("<script>")
    viewer.count("1 of 7 cases")
    page.click("[data-key='triage::injection']")
    assert page.locator(".output-part pre").inner_text() == XSS
    assert XSS in page.locator("table.checks").inner_text()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#detail img").count() == 0  # the <img onerror> stayed text


def test_a_comparison_side_by_side(viewer: Viewer, cmp_page: Path) -> None:
    page = viewer.open(cmp_page)
    assert page.input_value("#view-select") == "cmp:0"
    assert page.locator("#headline").inner_text() == (
        "base → head: 1 regression(s) under head: triage::invoice; 1 not comparable: "
        "triage::skipped (head did not run: circuit open)"
    )
    assert chips(page) == [
        "all 8",
        "regressed 1",
        "failed 2",
        "not comparable 1",
        "only in A 1",
        "passed 3",
    ]
    assert viewer.rows()[0] == "triage::invoice"
    page.click("#status-filter [data-status='only in A']")
    assert viewer.rows() == ["triage::removed"]
    page.click("[data-key='triage::removed']")
    assert "not in head" in page.locator(".side-b").inner_text()
    page.click("#status-filter [data-status='only in A']")
    page.click("#status-filter [data-status=regressed]")
    page.click("[data-key='triage::invoice']")
    detail = page.locator("#detail")
    assert "base: pass · head: FAIL" in detail.locator(".verdicts").inner_text()
    changes = detail.locator("#changes tbody tr")
    assert changes.all_inner_texts() == [
        'category\t"billing"\t"other"',
        'summary\t"Asks for last month\'s invoice"\t"Asks for an invoice copy"',
    ]
    for side in ("a", "b"):
        changed = detail.locator(f".side-{side} .jl.chg")
        assert changed.count() == 2
        assert [changed.nth(i).get_attribute("data-path") for i in range(2)] == [
            "category",
            "summary",
        ]
        assert detail.locator(f".side-{side} table.checks tr.chg").count() == 1
    assert "expected billing at category, got other" in detail.locator("#why").inner_text()
    same_prompt = detail.locator(".side-b [data-fact=prompt]")
    assert "triage@v2" in same_prompt.inner_text()
    assert same_prompt.get_attribute("class") is None  # unchanged: not highlighted

    page.select_option("#view-select", "run:1")  # switch from the comparison to one side
    assert chips(page)[1:3] == ["error 1", "failed 2"]
    assert page.locator("#headline").inner_text().startswith("run head: 3/7 cases passed")
    page.select_option("#view-select", "run:0")
    assert page.locator("#headline").inner_text().startswith("run base: 5/8 cases passed")
    page.select_option("#view-select", "cmp:0")
    assert chips(page)[1] == "regressed 1"


def test_a_damaged_run_is_shown_with_what_was_skipped(viewer: Viewer, tmp_path: Path) -> None:
    folder = write_run(tmp_path / "crashed", head_cases())
    results = folder / "results.jsonl"
    results.write_text(results.read_text() + '{"suite": "triage", "case": "late", "pas')
    (folder / "run.json").unlink()
    out = tmp_path / "v.html"
    out.write_text(render_run(folder))
    page = viewer.open(out)
    notes = page.locator("#notes").inner_text()
    assert "run.json is missing" in notes and "1 line(s) skipped" in notes
    page.click("#notes details summary")
    assert "crashed/results.jsonl:8: cut short" in page.locator("#notes details").inner_text()
    viewer.count("7 cases")

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "run.json").write_text("{}")
    out.write_text(render_run(empty))
    page = viewer.open(out)
    assert "results.jsonl is missing" in page.locator("#notes").inner_text()
    assert page.locator(".list .empty").inner_text() == "This run has no readable case."


def test_history_charts_link_each_point_to_its_run(viewer: Viewer, tmp_path: Path) -> None:
    results = tmp_path / "runs"
    evil = "<img src=x onerror=window.__pwned=3>"  # a run folder's name is data too
    for day, name in enumerate([evil, "old", "mid", "new"], start=1):
        cases = [{**c, "finished_at": f"2026-01-0{day}T00:00:00+00:00"} for c in head_cases()]
        if name != "new":
            cases = [{**c, "passed": True} for c in cases]
        write_run(results / name, cases)
    out = tmp_path / "site" / "view.html"
    out.parent.mkdir()
    loaded = [results / "mid", results / "new"]
    out.write_text(render_view(loaded, results_dir=results, out=out))
    page = viewer.open(out, "#view=run:1")
    page.click("#tab-history")
    assert page.locator("figure.chart").count() == 6  # faq and triage: 3 charts each
    assert page.locator("figure.chart canvas").count() == 6
    links = page.eval_on_selector_all(
        "#history-table a", "as => as.map(a => [a.textContent, a.getAttribute('href')])"
    )
    assert links == [
        ["new", "#view=run:1"],
        ["mid", "#view=run:0"],
        ["old", "../runs/old/"],
        [evil, f"../runs/{evil}/"],
    ]
    assert page.evaluate("window.__pwned") is None

    def click_point(index: int) -> None:
        x, y = page.evaluate(
            """i => { const u = window.__evalkit.charts[0];
                      const r = u.over.getBoundingClientRect();
                      return [r.left + u.valToPos(i, 'x'), r.top + u.valToPos(u.data[1][i], 'y')]; }""",
            index,
        )
        page.mouse.move(x, y)
        page.mouse.click(x, y)

    click_point(2)  # "mid" is in the page: the viewer switches to it
    page.wait_for_function("document.getElementById('view-select').value === 'run:0'")
    assert page.locator("#cases-tab").is_visible()
    page.click("#tab-history")
    click_point(1)  # "old" is not: the link goes to its run folder
    page.wait_for_url("**/runs/old/")


def test_three_clicks_from_a_failing_pr_to_why(viewer: Viewer, tmp_path: Path) -> None:
    """The gate's comparison of a real project (evalkit init), where head goes back to the
    old prompt and regresses a case: find it, its prompt, output and why, in three clicks."""
    # In child processes, as CI runs them (Playwright's sync API holds this thread's loop).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVALKIT_", "OPENAI_"))}
    project = tmp_path / "proj"

    def evalkit(*args: str, cwd: Path = project) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "evalkit.cli", *args], cwd=cwd, env=env, capture_output=True
        )
        return done.returncode

    assert evalkit("init", str(project), cwd=tmp_path) == 0
    assert evalkit("run", "--results", ".evalkit/ci", "--run-id", "base") == 0
    assert evalkit("run", "--results", ".evalkit/ci", "--run-id", "head", "--variant", "v1") == 1
    out = project / "evals-view.html"
    runs = [project / ".evalkit/ci/base", project / ".evalkit/ci/head"]
    out.write_text(render_view(runs, results_dir=project / ".evalkit/ci", out=out))
    page = viewer.open(out)
    page.click("#status-filter [data-status=regressed]")  # 1
    page.click("#case-list .row")  # 2
    detail = page.locator("#detail")
    assert detail.locator("#case-title").inner_text() == "triage::invoice-copy"
    assert "equals at category" in detail.locator("#why").inner_text()
    prompt = detail.locator(".side-b [data-fact=prompt]")
    assert "triage@v1" in prompt.inner_text() and "chg" in (prompt.get_attribute("class") or "")
    assert '"category": "other"' in detail.locator(".side-b .output-part").inner_text()


def test_long_outputs_are_folded(viewer: Viewer, tmp_path: Path) -> None:
    long_text = "\n".join(f"line {i}" for i in range(100))
    long_json = json.dumps({"items": [{"n": i} for i in range(30)]})
    cases = [
        case("text", True, [sample(long_text, True)]),
        case("json", True, [sample(long_json, True)]),
    ]
    out = tmp_path / "v.html"
    out.write_text(render_run(write_run(tmp_path / "r", cases)))
    page = viewer.open(out)
    for key, lines in (("triage::text", 100), ("triage::json", 94)):
        page.click(f"[data-key='{key}']")
        output = page.locator(".output-part")
        folded = output.locator(".folded")
        assert folded.count() == 1
        height = folded.evaluate("e => e.getBoundingClientRect().height")
        button = output.locator("button.unfold")
        assert button.inner_text() == f"show all {lines} lines"
        button.click()
        assert output.locator(".folded").count() == 0 and button.inner_text() == "fold"
        assert output.locator("pre").evaluate("e => e.getBoundingClientRect().height") > 2 * height


def test_tool_results_given_as_json_text_show_as_json(viewer: Viewer, tmp_path: Path) -> None:
    """A tool's result is often JSON sent as a string: the page shows the JSON, not an
    escaped string with its quotes and backslashes."""
    cases = head_cases()
    refund = next(c for c in cases if c["case"] == "refund")
    turn = refund["samples"][0]["turns"][0]
    turn["tool_results"] = [
        {"name": "lookup_order", "result": '{"status": "shipped", "eta": "2026-11-30"}'}
    ]
    out = tmp_path / "run.html"
    out.write_text(render_run(write_run(tmp_path / "head", cases)))
    page = viewer.open(out)
    page.click("[data-key='triage::refund']")
    first_turn = page.locator("#detail .turn").nth(0).inner_text()
    assert '"status": "shipped"' in first_turn and '"eta": "2026-11-30"' in first_turn
    assert '\\"status\\"' not in first_turn


def test_suite_and_variant_names_are_not_cut_at_1400px(viewer: Viewer, tmp_path: Path) -> None:
    cases = [
        {**c, "suite": "invoice-extraction", "variant": "mini5-structured"} for c in head_cases()
    ]
    out = tmp_path / "run.html"
    out.write_text(render_run(write_run(tmp_path / "head", cases)))
    page = viewer.open(out)
    clipped = page.eval_on_selector_all(
        "#case-list .row .cell",
        "cells => cells.filter(c => ['invoice-extraction', 'mini5-structured']"
        ".includes(c.textContent) && c.scrollWidth > c.clientWidth).length",
    )
    shown = page.eval_on_selector_all(
        "#case-list .row .cell",
        "cells => cells.filter(c => c.textContent === 'invoice-extraction').length",
    )
    assert shown > 0 and clipped == 0


# -- review: labels for calibrating a judge (a reviewer marks outputs, downloads them) ----

JUDGE_NOTE = "[calibration refund: judge agreement 0.80 (n=10, kappa 0.58)]"


@pytest.fixture
def review_page(tmp_path: Path) -> Path:
    cases = [
        *head_cases(),
        case(
            "judged",
            True,
            [
                sample(
                    "Customer wants a refund",
                    True,
                    [check(0, "judge", True, "judge gpt-4.1 passed the rubric 'x' " + JUDGE_NOTE)],
                )
            ],
            vars={"body": "refund please"},
        ),
    ]
    out = tmp_path / "run.html"
    out.write_text(render_run(write_run(tmp_path / "head", cases)))
    return out


def pick(page: Any, key: str) -> None:
    page.click(f"#case-list .row[data-key='{key}']")
    page.wait_for_function("k => document.getElementById('case-title').textContent === k", arg=key)


def test_review_marks_notes_and_a_labels_file(
    viewer: Viewer, review_page: Path, tmp_path: Path
) -> None:
    page = viewer.open(review_page)
    assert page.is_disabled("#download-labels")

    pick(page, "triage::judged")
    assert JUDGE_NOTE in page.inner_text("#detail")  # the calibration next to the verdict
    page.click("#review-pass")  # one click
    assert page.inner_text("#review-status") == "labelled pass"
    assert page.inner_text("#download-labels") == "download labels (1)"
    page.click("#review-pass")  # a second click takes it back
    assert page.inner_text("#review-status") == "not labelled"
    assert page.is_disabled("#download-labels")
    page.click("#review-fail")
    page.fill("#review-note", "asks, but the summary is wrong")

    # the keyboard: n focuses the note, Escape leaves it, p and f mark
    pick(page, "triage::injection")
    page.keyboard.press("n")
    page.keyboard.type("tries to inject <b>markup</b>")
    page.keyboard.press("Escape")
    page.keyboard.press("f")
    assert page.inner_text("#review-status") == "labelled fail"
    assert page.evaluate("window.__pwned") is None

    pick(page, "triage::flaky")  # a repeated case: the shown sample is the one labelled
    page.click(".sample-tab[data-sample='2']")
    page.keyboard.press("p")
    assert page.inner_text("#download-labels") == "download labels (3)"

    pick(page, "triage::outage")  # an error has no output to label
    assert "no output to label" in page.inner_text("#detail")
    page.keyboard.press("p")
    assert page.inner_text("#download-labels") == "download labels (3)"

    with page.expect_download() as download:
        page.click("#download-labels")
    saved = tmp_path / "labels.jsonl"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "triage-labels.jsonl"
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    assert lines == [
        {
            "case": "judged",
            "output": "Customer wants a refund",
            "label": "fail",
            "note": "asks, but the summary is wrong",
            "vars": {"body": "refund please"},
        },
        {
            "case": "injection",
            "output": XSS,
            "label": "fail",
            "note": "tries to inject <b>markup</b>",
            "vars": {"body": XSS},
        },
        {
            "case": "flaky",
            "output": billing(),  # sample 2's, not sample 1's
            "label": "pass",
            "note": "",
        },
    ]
    # the file is what a judge's labels: reads
    labels = read_labels(saved)
    assert [(line, label.case, label.label) for line, label in labels.labels] == [
        (1, "judged", "fail"),
        (2, "injection", "fail"),
        (3, "flaky", "pass"),
    ]


def test_outputs_and_tool_arguments_nested_thousands_deep_do_not_break_the_page(
    viewer: Viewer, tmp_path: Path
) -> None:
    deep = "[" * 5000 + "]" * 5000
    cases = head_cases()
    refund = next(c for c in cases if c["case"] == "refund")
    refund["samples"][0]["output"] = deep
    turn = refund["samples"][0]["turns"][0]
    turn["tool_results"] = [{"name": "lookup_order", "result": '{"a": ' * 3000 + "1" + "}" * 3000}]
    out = tmp_path / "run.html"
    out.write_text(render_run(write_run(tmp_path / "head", cases)))
    page = viewer.open(out)
    page.click("[data-key='triage::refund']")
    page.wait_for_selector("#detail .output-part")
    shown = page.locator("#detail").inner_text()
    assert "nested deeper than 32 levels: not shown" in shown
    assert not viewer.errors, viewer.errors


def test_a_case_flaky_in_the_history_says_so(viewer: Viewer, tmp_path: Path) -> None:
    results = tmp_path / "runs"
    for day, passed in ((1, True), (2, False)):
        cases = [
            {**c, "passed": passed, "finished_at": f"2026-01-0{day}T00:00:00+00:00"}
            for c in head_cases()
        ]
        write_run(results / f"r{day}", cases)
    out = tmp_path / "view.html"
    out.write_text(render_view([results / "r2"], results_dir=results, out=out))
    page = viewer.open(out)
    page.click("[data-key='triage::refund']")
    fact = page.locator("#detail [data-fact=flaky]")
    assert "verdict changed between runs that sent it the identical request" in fact.inner_text()
    assert not viewer.errors, viewer.errors
