from __future__ import annotations

import json
import subprocess
import sys

from pydantic import BaseModel

from evalkit.project.loader import load_suite
from evalkit.project.plan import plan
from evalkit.wire.request import Request, strict_json_schema

from ..conftest import SUITE, Project


def test_hash_ignores_dict_order_and_tracks_content() -> None:
    a = Request(
        endpoint="chat.completions",
        body={"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "hi"}]},
    )
    b = Request(
        endpoint="chat.completions",
        body={"messages": [{"content": "hi", "role": "user"}], "temperature": 0, "model": "m"},
    )
    assert a.key == b.key
    assert Request(endpoint="responses", body=a.body).key != a.key
    assert Request(endpoint="chat.completions", body={**a.body, "temperature": 1}).key != a.key
    assert Request(endpoint="chat.completions", body=a.body, sample=1).key != a.key


def test_hash_is_stable_across_processes() -> None:
    code = "from evalkit.wire.request import Request; print(Request(endpoint='embeddings', body={'model': 'e', 'input': ['x']}).key)"
    out = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert out == {Request(endpoint="embeddings", body={"model": "e", "input": ["x"]}).key + "\n"}


class Inner(BaseModel):
    name: str
    qty: int = 1


class Outer(BaseModel):
    items: list[Inner]
    note: str | None = None


def test_strict_schema_closes_objects_and_requires_every_field() -> None:
    schema = strict_json_schema(Outer)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["items", "note"]
    inner = schema["$defs"]["Inner"]
    assert inner["additionalProperties"] is False
    assert inner["required"] == ["name", "qty"]
    assert "default" not in json.dumps(schema)


def test_chat_request_carries_strict_json_schema(project: Project) -> None:
    suite = load_suite(project.suite)
    request = plan(suite)[0].requests[0]
    assert request.endpoint == "chat.completions"
    assert request.body["messages"][1] == {
        "role": "user",
        "content": "Ticket: I was charged twice, refund please",
    }
    assert request.body["temperature"] == 0 and request.body["max_tokens"] == 200
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "Ticket"


def test_responses_request_and_other_structured_modes(project: Project) -> None:
    project.write("suites/triage.yaml", SUITE.replace("params:", "api: responses\nparams:"))
    body = plan(load_suite(project.suite))[0].requests[0].body
    assert body["input"][0]["role"] == "system"
    assert (
        body["text"]["format"]["type"] == "json_schema" and body["text"]["format"]["strict"] is True
    )

    project.write("suites/triage.yaml", SUITE.replace("params:", "structured: prompt\nparams:"))
    body = plan(load_suite(project.suite))[0].requests[0].body
    assert "response_format" not in body
    assert "validates against this JSON Schema" in body["messages"][0]["content"]

    project.write(
        "suites/triage.yaml", SUITE.replace("params:", "structured: json_object\nparams:")
    )
    body = plan(load_suite(project.suite))[0].requests[0].body
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["title"] == "Ticket"


def test_variant_overrides_and_var_precedence(project: Project) -> None:
    project.write("prompts/triage/v2.j2", "{{ company }} / {{ body }} / {{ tone }}\n")
    project.write(
        "suites/triage.yaml",
        SUITE.replace("vars: {company: Acme}", "vars: {company: Acme, tone: calm}")
        + "variants:\n  v2: {prompt: triage@v2, vars: {company: Initech}, params: {temperature: 1}}\n",
    )
    suite = load_suite(project.suite)
    planned = plan(suite, "v2")[0]
    assert planned.requests[0].body["messages"] == [
        {"role": "user", "content": "Initech / I was charged twice, refund please / calm"}
    ]
    assert planned.requests[0].body["temperature"] == 1
    assert "max_tokens" not in planned.requests[0].body  # a variant's params replace the suite's
    assert planned.item_id == "triage::refund[v2]"
