"""The bundled server speaks the wire format the official SDK expects."""

from __future__ import annotations

import json
import math

import openai
import pytest

from evalkit.testing import Rule, Script, TestingServer, schema_instance

KEY = "sk-local"


@pytest.fixture
def client() -> openai.OpenAI:
    script = Script(
        rules=[
            Rule(when=["weather"], reply="Sunny."),
            Rule(when=["long"], reply="one two three four five six"),
        ]
    )
    with (
        TestingServer(script, api_key=KEY) as server,
        openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as c,
    ):
        yield c


def test_chat_rules_and_fallbacks(client: openai.OpenAI) -> None:
    def ask(text, **kw):
        return client.chat.completions.create(
            model="gpt-4.1-mini-2025-04-14", messages=[{"role": "user", "content": text}], **kw
        )

    first = ask("How is the weather?")
    assert first.choices[0].message.content == "Sunny."
    assert first.usage is not None and first.usage.prompt_tokens > 0
    assert ask("How is the weather?").id == first.id  # deterministic
    assert ask("hi").choices[0].message.content == "You said: hi"
    cut = ask("a long one", max_tokens=3)
    assert (
        cut.choices[0].finish_reason == "length"
        and cut.choices[0].message.content == "one two three"
    )
    fmt = {
        "type": "json_schema",
        "json_schema": {
            "name": "X",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"n": {"type": "integer"}, "tag": {"enum": ["a", "b"]}},
            },
        },
    }
    assert json.loads(ask("anything", response_format=fmt).choices[0].message.content) == {
        "n": 0,
        "tag": "a",
    }


def test_responses_embeddings_models(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4.1-mini-2025-04-14", input="weather?")
    assert r.output_text == "Sunny." and r.status == "completed"
    a, b, c = client.embeddings.create(
        model="text-embedding-3-small", input=["the cat sat", "the cat sat down", "quantum flux"]
    ).data

    def cos(x, y):
        return sum(i * j for i, j in zip(x, y, strict=True)) / math.sqrt(
            sum(i * i for i in x) * sum(j * j for j in y)
        )

    assert cos(a.embedding, b.embedding) > 0.7 > cos(a.embedding, c.embedding)
    assert "gpt-4.1-mini-2025-04-14" in {m.id for m in client.models.list()}


def test_errors_are_openai_shaped(client: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        client.with_options(api_key="sk-other").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="m", messages=[])
    with pytest.raises(openai.NotFoundError):
        client.post("/nowhere", cast_to=object, body={})


def test_schema_instance_follows_refs() -> None:
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array"}, "child": {"$ref": "#/$defs/C"}},
        "$defs": {"C": {"type": "object", "properties": {"ok": {"type": "boolean"}}}},
    }
    assert schema_instance(schema) == {"items": [], "child": {"ok": False}}
