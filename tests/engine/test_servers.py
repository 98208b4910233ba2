"""What a real local server showed (issue 11), against the testing server and small
stand-ins: models routed through [tool.evalkit.servers], checks whose own calls fail,
odd embeddings, honest retry counts and figures, one-at-a-time servers, estimates."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evalkit.checks import LoadContext
from evalkit.cli.main import main
from evalkit.config import load_settings
from evalkit.project.loader import load_suite, parse_assertions
from evalkit.project.plan import plan
from evalkit.prompts import PromptStore
from evalkit.results.folder import latest_results
from evalkit.testing import Faults, Rule, Script, TestingServer

from ..conftest import API_KEY, RULES, SUITE, Project

JUDGED = SUITE.replace(
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n"
    "    assert:\n"
    "      - {type: similar, path: summary, value: 'double charge', model: local-embed-2024-01-01, threshold: 0.1}\n"
    "      - {type: judge, rubric: 'mentions the charge', model: judge-model-2024-01-01, weight: 0}\n",
)
VERDICT = Script(
    rules=[Rule(when=["Rubric: "], reply={"pass": True, "score": 0.8, "reason": "ok"})]
)


def last_run(project: Project) -> dict[str, object]:
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return {r.case: r for r in latest_results(folder)}


def servers_toml(**urls: str) -> str:
    lines = ["[tool.evalkit]", "max_retries = 0", "", "[tool.evalkit.servers]"]
    for pattern, url in urls.items():
        env = "K_" + pattern.split("-")[0].upper()
        lines.append(f'"{pattern}" = {{base_url = "{url}", api_key_env = "{env}"}}')
    return "\n".join(lines) + "\n"


def test_one_run_uses_three_servers(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    with (
        TestingServer(RULES) as chat,
        TestingServer(VERDICT) as judges,
        TestingServer(RULES) as embeddings,
    ):
        project.write(
            "pyproject.toml",
            servers_toml(
                **{
                    "gpt-*": chat.base_url,
                    "judge-*": judges.base_url,
                    "local-*": embeddings.base_url,
                }
            ),
        )
        project.write("suites/triage.yaml", JUDGED)
        for name in ("K_GPT", "K_JUDGE", "K_LOCAL"):
            monkeypatch.setenv(name, f"key-for-{name}-123456")
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing goes here
        assert main(["record"]) == 0
        assert chat.stats.by_path == {"/v1/chat/completions": 2}
        assert judges.stats.by_path == {"/v1/chat/completions": 1}
        assert embeddings.stats.by_path == {"/v1/embeddings": 1}
        assert {h for h in judges.stats.auth_headers} == {"Bearer key-for-K_JUDGE-123456"}


def test_the_judge_speaks_its_servers_structured_mode(project: Project) -> None:
    project.write(
        "pyproject.toml",
        '[tool.evalkit.servers]\n"judge-*" = {base_url = "http://127.0.0.1:9/v1", structured = "json_object"}\n',
    )
    settings = load_settings(project.root)
    (spec,) = parse_assertions(
        [{"type": "judge", "rubric": "r", "model": "judge-model-2024-01-01"}],
        project.suite,
        settings,
    )
    from evalkit.checks import CheckContext, Observation

    ctx = CheckContext(settings, PromptStore(settings.prompts_dir))
    (request,) = spec.check.needs(spec, Observation(text="out"), ctx)
    assert request.body["response_format"]["type"] == "json_object"
    assert request.body["response_format"]["schema"]["required"] == ["pass", "score", "reason"]
    spec.check.validate(spec, LoadContext(settings, PromptStore(settings.prompts_dir)))


JUDGE_ONLY = SUITE.replace(
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n"
    "    assert:\n"
    "      - {type: judge, rubric: 'mentions the charge', model: gpt-4.1-2025-04-14}\n",
)
LLAMA_LIKE = Script(rules=[*RULES.rules, *VERDICT.rules])


def test_a_judge_without_a_server_entry_follows_the_suites_structured_mode(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OPENAI_BASE_URL at a server that refuses strict json_schema (as llama.cpp's does)
    and a suite saying `structured: json_object`: the judge sends json_object too."""
    with TestingServer(
        LLAMA_LIKE, api_key=API_KEY, response_formats=("text", "json_object")
    ) as llama:
        monkeypatch.setenv("OPENAI_BASE_URL", llama.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        project.write(
            "suites/triage.yaml",
            JUDGE_ONLY.replace("schema: schemas", "structured: json_object\nschema: schemas"),
        )
        assert main(["record"]) == 0
        formats = {b["response_format"]["type"] for b in llama.stats.bodies}
        assert formats == {"json_object"}
        judged = [b for b in llama.stats.bodies if "Rubric: " in json.dumps(b)]
        assert len(judged) == 1


def test_a_server_refusing_the_response_format_names_the_setting(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Strict json_schema to such a server: one request (a retry gets the same 500), and a
    message naming the setting to change, not a bare server error."""
    with TestingServer(RULES, api_key=API_KEY, response_formats=("text", "json_object")) as llama:
        monkeypatch.setenv("OPENAI_BASE_URL", llama.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["record"]) == 1
        assert llama.stats.by_path == {"/v1/chat/completions": 2}  # one per case, no retries
    out = capsys.readouterr().out
    assert "this server does not take a json_schema response format" in out
    assert "`structured: json_object` in the suite" in out
    assert "gpt-4.1-mini-2025-04-14" in out


def test_a_judge_server_entry_wins_over_the_suite(project: Project) -> None:
    project.write(
        "pyproject.toml",
        '[tool.evalkit.servers]\n"judge-*" = {base_url = "http://127.0.0.1:9/v1", structured = "prompt"}\n',
    )
    settings = load_settings(project.root)
    (spec,) = parse_assertions(
        [{"type": "judge", "rubric": "r", "model": "judge-model-2024-01-01"}],
        project.suite,
        settings,
    )
    from evalkit.checks import CheckContext, Observation

    ctx = CheckContext(settings, PromptStore(settings.prompts_dir))
    obs = Observation(text="out", structured="json_object")
    (request,) = spec.check.needs(spec, obs, ctx)
    assert "response_format" not in request.body  # prompt: the schema is in the message


def test_a_failed_check_call_keeps_the_sample(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The judge's server is down: the judge fails alone (informational, weight 0), the
    schema and rule checks still run, and tokens, latency and request id are kept."""
    with TestingServer(RULES) as chat, TestingServer(RULES) as embeddings:
        project.write(
            "pyproject.toml",
            servers_toml(
                **{
                    "gpt-*": chat.base_url,
                    "judge-*": "http://127.0.0.1:9/v1",
                    "local-*": embeddings.base_url,
                }
            ),
        )
        project.write("suites/triage.yaml", JUDGED)
        for name in ("K_GPT", "K_JUDGE", "K_LOCAL"):
            monkeypatch.setenv(name, "x" * 12)
        assert main(["record"]) == 0  # the judge has weight 0: it cannot fail the gate
    refund = last_run(project)["refund"]
    sample = refund.samples[0]  # type: ignore[attr-defined]
    checks = {c.type.split(" at ")[0]: c for c in sample.checks}
    assert checks["schema"].passed and checks["equals"].passed and checks["similar"].passed
    assert not checks["judge"].passed
    assert checks["judge"].message.startswith(
        "judge: its own API call failed: gave up after 1 attempt: could not connect"
    )
    assert sample.input_tokens > 0 and sample.latency_ms > 0 and sample.request_id


def test_per_token_embeddings_are_a_clear_check_failure(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "    expect: {category: billing}\n",
            "    expect: {category: billing}\n"
            "    assert:\n      - {type: similar, path: summary, value: 'double charge'}\n",
        ),
    )
    assert main(["record"]) == 1  # the bag-of-words vectors are not that similar
    path = project.root / "snapshots/recordings/triage/refund.json"
    doc = json.loads(path.read_text())
    for entry in doc["interactions"].values():
        if entry["request"]["endpoint"] == "embeddings":
            vector = entry["response"]["data"][0]["embedding"]
            entry["response"]["data"][0]["embedding"] = [vector[:4], vector[4:8]]  # one per token
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "answered 2 vectors (one per token?)" in out and "pooling" in out
    assert "Traceback" not in out


def test_a_request_that_failed_for_good_counts_its_retries(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("pyproject.toml", "[tool.evalkit]\nmax_retries = 2\nretry_base_s = 0.01\n")
    with TestingServer(RULES, api_key=API_KEY, faults=Faults(error_rate=1.0)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["run", "--mode", "live", "--concurrency", "1"]) == 1
    results = last_run(project)
    assert [r.samples[0].retries for r in results.values()] == [2, 2]  # type: ignore[attr-defined]


def test_report_of_one_run_shows_that_run(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace("cases:", "threshold: 0.5\ncases:").replace(
            "expect: {category: technical, urgency: high}", "expect: {category: billing}"
        ),
    )
    assert main(["record", "--run-id", "one"]) == 0  # 1 of 2 cases fails, within threshold
    capsys.readouterr()
    assert main(["report", "one", "--markdown", str(project.root / "r.md")]) == 0
    out = capsys.readouterr().out
    assert "→" not in out and "+0" not in out  # not a diff of the run against itself
    assert "FAIL triage::outage" in out and "expected billing at category, got technical" in out
    assert "suite triage: 1/2 cases passed (50%); threshold 50%: passed" in out
    markdown = (project.root / "r.md").read_text()
    assert "| triage | 1/2 | 50% | 50% | passed |" in markdown and "### Failures" in markdown


def test_repeats_show_k_of_n_and_count_drops_in_a_diff(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    def results(folder: str, passes: list[int]) -> None:
        from evalkit.results import CaseResult, SampleResult
        from evalkit.results.folder import RunMeta, RunWriter, write_meta

        path = project.root / folder
        path.mkdir()
        write_meta(path, RunMeta(run_id=folder))
        with RunWriter(path) as writer:
            for i, k in enumerate(passes):
                samples = [
                    SampleResult(sample=s, passed=s < k, output="x", latency_ms=100.0 + s)
                    for s in range(5)
                ]
                writer.write(CaseResult(suite="s", case=f"c{i}", passed=k >= 5, samples=samples))

    results("a", [2, 2, 2, 5])
    results("b", [0, 0, 0, 5])
    # No case flipped from pass to fail, but three lost samples together: the suite's paired
    # test calls that a regression beyond noise, and the default --fail-on regressions fails.
    assert main(["diff", "--runs", "a", "b", "--markdown", str(project.root / "d.md")]) == 1
    out = capsys.readouterr().out
    assert "FAIL 2/5" in out and "FAIL 0/5" in out
    assert "beyond noise over their cases: s regressed" in out
    assert "3 case(s) with fewer passing samples: c0, c1, c2" in out
    assert "FAIL 2/5 | FAIL 0/5" in (project.root / "d.md").read_text()


def test_a_refused_case_does_not_hide_the_suites_cost(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            '    vars: {body: "The site is down"}',
            '    vars: {body: "The site is down ' + "very " * 300 + '"}',
        ).replace("assert:\n  - schema", "assert:\n  - schema\n  - {type: input_tokens, max: 200}"),
    )
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert "the request was not sent" in out
    assert " n/a " not in out.split("tokens in/out")[1].splitlines()[2]  # the suite's cost row


def test_truncation_reads_plainly(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script(rules=[Rule(when=["charged"], reply="a b c d e f g h i j k l m n o p")])
    project.write(
        "suites/triage.yaml",
        SUITE.replace("max_tokens: 200", "max_tokens: 3")
        .replace("schema: schemas.triage:Ticket\n", "")
        .replace("assert:\n  - schema\n", ""),
    )
    with TestingServer(script) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert "implicit not_truncated: the output was truncated (finish_reason 'length')" in out
    assert "expected the opposite" not in out
    assert "assert[0] equals at category" in out  # the user's own numbering, from 0


class _OneAtATime(BaseHTTPRequestHandler):
    """A server that answers one request at a time (as llama.cpp's does)."""

    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        with self.lock:
            time.sleep(0.15)
        reply = {
            "id": "x",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "ok"},
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("cap", [None, 1])
def test_a_one_at_a_time_server_gets_one_request_at_a_time(
    project: Project, monkeypatch: pytest.MonkeyPatch, cap: int | None
) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _OneAtATime)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    limit = f", concurrency = {cap}" if cap else ""
    project.write(
        "pyproject.toml",
        f'[tool.evalkit.servers]\n"local-*" = {{base_url = "{url}"{limit}}}\n',
    )
    cases = "".join(f"  - id: c{i}\n    vars: {{body: b{i}}}\n" for i in range(6))
    project.write(
        "suites/triage.yaml",
        "prompt: triage@v1\nmodel: local-chat-2024-01-01\nvars: {company: A}\n"
        f"budget: {{latency_ms: 450}}\ncases:\n{cases}",
    )
    try:
        code = main(["run", "--mode", "live"])
    finally:
        httpd.shutdown()
    latencies = sorted(r.samples[0].latency_ms for r in last_run(project).values())  # type: ignore[attr-defined]
    if cap:
        assert code == 0 and latencies[-1] < 450  # time queued at the server is not latency
    else:
        assert code == 1 and latencies[-1] > 450  # queueing counted as latency: why `concurrency`


def test_other_models_are_counted_by_their_server_not_refused_before(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """evalkit's tokenizer is OpenAI's: for another model an input_tokens budget is checked
    against the server's own count after the call, never refused before it."""
    with TestingServer(RULES) as srv:
        project.write(
            "pyproject.toml",
            f'[tool.evalkit.servers]\n"local-*" = {{base_url = "{srv.base_url}"}}\n',
        )
        project.write(
            "suites/triage.yaml",
            SUITE.replace("gpt-4.1-mini-2025-04-14", "local-chat-2024-01-01").replace(
                "assert:\n  - schema", "assert:\n  - schema\n  - {type: input_tokens, max: 10}"
            ),
        )
        assert main(["record"]) == 1
        assert srv.stats.by_path == {"/v1/chat/completions": 2}  # sent, then judged on usage
    sample = last_run(project)["refund"].samples[0]  # type: ignore[attr-defined]
    assert "expected input_tokens <= 10" in next(
        c.message for c in sample.checks if c.type == "input_tokens"
    )


def test_planning_records_one_request_per_sample(project: Project) -> None:
    suite = load_suite(project.suite)
    assert all(len(p.requests) == suite.repeat for p in plan(suite))
    assert Path(project.suite).is_file()
