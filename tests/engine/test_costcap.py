"""Batch and cached rates, `evalkit estimate`, and the cost cap (before and during a run),
against the testing server through the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.cli.main import main
from evalkit.engine.estimate import input_tokens, output_limit
from evalkit.project.open import open_project
from evalkit.results import CaseResult
from evalkit.results.folder import SPEND as SPEND_LOG
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer
from evalkit.wire import tokens
from evalkit.wire.pricing import Price, cost_usd, rates

from ..conftest import API_KEY, PROMPT, RULES, SUITE, Project

FAST = (
    '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n'
    "batch_poll_s = 0.01\nbatch_poll_max_s = 0.02\nmax_retries = 1\nretry_base_s = 0.01\n"
)
MINI = "gpt-4.1-mini-2025-04-14"


# -- rates ----------------------------------------------------------------------------


def test_the_batch_rate_is_half_unless_the_table_says_otherwise() -> None:
    standard = cost_usd(MINI, 1000, 200, 500)
    batch = cost_usd(MINI, 1000, 200, 500, rate="batch")
    assert standard == pytest.approx((800 * 0.40 + 200 * 0.10 + 500 * 1.60) / 1e6)
    assert batch == pytest.approx(standard / 2)
    own = {MINI: Price(input=1.0, output=2.0, batch_output=1.5)}
    assert rates(own[MINI], "batch") == rates(own[MINI], "batch").__class__(0.5, 0.5, 1.5)
    assert cost_usd(MINI, 1000, 0, 1000, own, rate="batch") == pytest.approx(2.0 / 1000)
    assert cost_usd("my-own-model", 10, 0, 10) is None


def test_prices_with_batch_fields_are_read_from_pyproject(project: Project) -> None:
    project.write(
        "pyproject.toml",
        FAST + f'[tool.evalkit.prices."{MINI}"]\ninput = 1.0\noutput = 4.0\nbatch_input = 0.3\n',
    )
    settings = open_project([]).settings
    price = settings.prices[MINI]
    assert (price.batch_input, price.batch_output) == (0.3, None)
    assert rates(price, "batch").output == 2.0


# -- estimate ------------------------------------------------------------------------


def estimate_json(tmp: Path, *args: str) -> dict[str, Any]:
    out = tmp / "estimate.json"
    assert main(["estimate", *args, "--json", str(out)]) == 0
    return json.loads(out.read_text())["total"]


def test_estimate_counts_what_will_be_sent_before_any_call(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    total = estimate_json(project.root)
    out = capsys.readouterr().out
    assert server.stats.requests == 0
    requests = [r for p in open_project([]).plan() for r in p.requests]
    assert total["requests_to_send"] == 2 and total["recorded"] == 0
    assert total["input_tokens"] == sum(input_tokens(r) for r in requests)
    assert total["output_tokens_expected"] == total["output_tokens_upper"] == 400  # max_tokens
    live = sum((input_tokens(r) * 0.40 + 200 * 1.60) / 1e6 for r in requests)
    assert total["cost_live_upper_usd"] == pytest.approx(live)
    assert total["cost_batch_upper_usd"] == pytest.approx(live / 2)
    assert f"input tokens: exact (OpenAI's tokenizer) for {MINI}" in out
    # the API counts at least what the messages hold (the schema on top, as OpenAI counts it)
    assert main(["record"]) == 0
    answered = sum(r.input_tokens for r in latest_results(runs(project)[-1]))
    assert tokens.exact_for(MINI) and answered <= total["input_tokens"]
    assert estimate_json(project.root)["requests_to_send"] == 0  # recorded: replayed, not sent
    assert estimate_json(project.root, "--mode", "rerecord")["requests_to_send"] == 2


def test_expected_output_comes_from_recordings_under_other_prompt_versions(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record"]) == 0
    recorded = sum(r.output_tokens for r in latest_results(runs(project)[-1]))
    project.write("prompts/triage/v2.j2", PROMPT.replace("You triage", "Please triage"))
    project.write("suites/triage.yaml", SUITE.replace("triage@v1", "triage@v2"))
    total = estimate_json(project.root)
    assert total["requests_to_send"] == 2
    assert total["output_tokens_expected"] == recorded < total["output_tokens_upper"] == 400
    assert "from the case's recorded answers (other prompt versions, models) for 2 of 2" in (
        capsys.readouterr().out
    )


def test_estimate_says_n_a_for_an_unknown_price_and_an_estimate_for_other_tokenizers(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(f"model: {MINI}", "model: smollm2-135m\nallow_unpinned: true"),
    )
    total = estimate_json(project.root)
    out = capsys.readouterr().out
    assert total["cost_live_upper_usd"] is None and total["input_tokens"] > 0
    assert "no price for smollm2-135m" in out
    assert "an estimate for smollm2-135m" in out


def test_output_limit_without_max_tokens_is_the_model_ceiling() -> None:
    from evalkit.wire.request import Request

    def chat(model: str, **params: Any) -> Request:
        return Request(endpoint="chat.completions", body={"model": model, "messages": [], **params})

    assert output_limit(chat(MINI, max_tokens=50, n=2)) == 100
    assert output_limit(chat(MINI)) == 32_768
    assert output_limit(chat("some-local-model")) is None


# -- the cost cap ----------------------------------------------------------------------


def runs(project: Project) -> list[Path]:
    folder = project.root / ".evalkit" / "runs"
    return sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []


def results(folder: Path) -> dict[str, CaseResult]:
    return {r.case: r for r in latest_results(folder)}


def test_a_run_over_the_cap_does_not_start(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--mode", "batch", "--max-cost", "0.0001"]) == 2
    err = capsys.readouterr().err
    assert "could cost up to $0.0004 at the batch rate, over the $0.0001 cap" in err
    assert "to send" in err and "batch $ exp/max" in err  # the estimate is shown
    assert server.stats.requests == 0 and not runs(project)


def test_an_unknown_price_with_a_cap_is_an_error_before_the_run(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml", SUITE.replace(f"model: {MINI}", "model: my-finetune-2025-01-01")
    )
    assert main(["record", "--max-cost", "5"]) == 2
    err = capsys.readouterr().err
    assert "model my-finetune-2025-01-01 has no known price" in err
    assert '[tool.evalkit.prices."my-finetune-2025-01-01"]' in err


JUDGED = SUITE.replace(  # a judge without max_tokens: bounded only by the model's largest output
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n    assert:\n"
    "      - {type: judge, path: summary, rubric: 'Mentions the charge', model: gpt-4.1-2025-04-14,"
    " params: {temperature: 0}}\n",
)
JUDGE = Script(
    rules=[Rule(when=["Rubric: "], reply={"pass": True, "score": 1, "reason": "ok"}), *RULES.rules]
)


@pytest.fixture
def judge_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingServer]:
    with TestingServer(JUDGE, api_key=API_KEY) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield srv


@pytest.mark.parametrize("mode", ["record", "batch"])
def test_the_cap_stops_sending_keeps_everything_and_resumes_with_a_higher_cap(
    project: Project,
    judge_server: TestingServer,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    """The cases fit the cap; the judge's call (its params without max_tokens: bounded by
    gpt-4.1's largest output, 32,768 tokens) would not: it is not sent, and the run says how
    to go on."""
    project.write("pyproject.toml", FAST)
    project.write("suites/triage.yaml", JUDGED)
    assert main(["run", "--mode", mode, "--max-cost", "0.01"]) == 1
    err = capsys.readouterr().err
    folder = runs(project)[-1]
    done = results(folder)
    assert done["outage"].passed and done["refund"].status == "not run: cost cap"
    assert "cost cap reached" in err
    assert f"evalkit run --resume {folder.name} --max-cost " in err
    spent = [json.loads(x)["usd"] for x in (folder / SPEND_LOG).read_text().splitlines()]
    assert len(spent) == 2 and sum(spent) <= 0.01  # both cases' answers; never the judge
    assert (project.root / "snapshots/recordings/triage/refund.json").is_file()  # kept
    before = judge_server.stats.snapshot()
    assert main(["run", "--resume", folder.name, "--max-cost", "1"]) == 0
    after = judge_server.stats.snapshot()
    refund = results(folder)["refund"]
    assert refund.passed and refund.samples[0].source == "recording"  # not paid twice
    assert [a.kind for a in refund.samples[0].aux] == ["judge"]
    sent = (
        after["answered"]
        + after["batch_lines_submitted"]
        - (before["answered"] + before["batch_lines_submitted"])
    )
    assert sent == 1  # only the judge's call
    spent = [json.loads(x)["usd"] for x in (folder / SPEND_LOG).read_text().splitlines()]
    assert len(spent) == 3


def test_a_resumed_run_counts_what_it_spent_before(
    project: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("pyproject.toml", FAST)
    project.write("suites/triage.yaml", JUDGED)
    assert main(["record", "--max-cost", "0.01"]) == 1
    folder = runs(project)[-1]
    spent = sum(json.loads(x)["usd"] for x in (folder / SPEND_LOG).read_text().splitlines())
    capsys.readouterr()
    # what is left (the refund case, now replayed) costs nothing to send; the cap is what
    # the run already spent, a little less: the judge's call cannot be afforded
    assert main(["run", "--resume", folder.name, "--max-cost", f"{spent * 0.999:.10f}"]) == 2
    assert "already spent by this run" in capsys.readouterr().err


def test_pytest_batch_mode_and_cap(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..conftest import make_project

    with TestingServer(RULES, api_key=API_KEY, batch_delay_s=0) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        project = make_project(pytester.path)
        project.write("pyproject.toml", FAST)
        monkeypatch.chdir(pytester.path)
        over = pytester.runpytest("--evalkit", "--evalkit-mode=batch", "--evalkit-max-cost=0.0001")
        assert over.ret == 2
        over.stdout.fnmatch_lines(["*could cost up to*over the $0.0001 cap*"])
        result = pytester.runpytest("--evalkit", "--evalkit-mode=batch")
        result.assert_outcomes(passed=2)
        assert srv.stats.snapshot()["batches_created"] == 1
    (folder,) = (pytester.path / ".evalkit" / "runs").iterdir()
    assert (folder / "batches.json").is_file()
    assert {r.samples[0].source for r in latest_results(folder)} == {"batch"}


def test_a_check_model_without_a_price_is_an_error_before_the_run(
    project: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml", JUDGED.replace("gpt-4.1-2025-04-14", "acme-judge-2025-01-01")
    )
    assert main(["record", "--max-cost", "5"]) == 2
    assert "model acme-judge-2025-01-01 has no known price" in capsys.readouterr().err
    assert judge_server.stats.snapshot()["requests"] == 0
