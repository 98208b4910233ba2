"""Streaming (server-sent events) from the testing server, read with the SDK's own helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from evalkit.testing import Faults, Rule, Script, TestingServer, ToolCallSpec
from evalkit.testing.__main__ import build

MODEL = "gpt-4.1-mini-2025-04-14"
SCRIPT = Script(
    rules=[
        Rule(when=["weather"], reply="Sunny and warm, with a light breeze from the west."),
        Rule(when=["json please"], reply={"category": "billing", "urgency": "high"}),
        Rule(
            when=["lookup"],
            reply="Let me check.",
            tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": "A1234"})],
        ),
    ]
)
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with (
        TestingServer(SCRIPT) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as c,
    ):
        yield c


def test_chat_stream_assembles_to_the_plain_answer(client: openai.OpenAI) -> None:
    for text in ("How is the weather?", "json please"):
        messages: Any = [{"role": "user", "content": text}]
        plain = client.chat.completions.create(model=MODEL, messages=messages)
        chunks = list(
            client.chat.completions.create(
                model=MODEL,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        assert {c.id for c in chunks} == {plain.id}
        assert chunks[0].choices[0].delta.role == "assistant"
        deltas = [
            c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
        ]
        assert len(deltas) > 3  # split into several chunks
        assert "".join(deltas) == plain.choices[0].message.content
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
        assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage
    bare = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    assert all(c.usage is None and c.choices for c in bare)


def test_chat_stream_tool_calls_with_the_stream_helper(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "lookup my order"}]
    plain = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    with client.chat.completions.stream(model=MODEL, messages=messages, tools=TOOLS) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.delta" in kinds and "content.delta" in kinds
    got, want = final.choices[0], plain.choices[0]
    assert got.finish_reason == want.finish_reason == "tool_calls"
    assert got.message.content == want.message.content == "Let me check."
    assert [
        (c.id, c.function.name, c.function.arguments) for c in got.message.tool_calls or []
    ] == [(c.id, c.function.name, c.function.arguments) for c in want.message.tool_calls or []]


def test_responses_stream_events_and_final_response(client: openai.OpenAI) -> None:
    plain = client.responses.create(model=MODEL, input="How is the weather?")
    events = list(client.responses.create(model=MODEL, input="How is the weather?", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 3 and "".join(deltas) == plain.output_text
    assert events[-1].response == plain  # type: ignore[union-attr]
    tools: Any = [
        {
            "type": "function",
            "name": "lookup_order",
            "parameters": TOOLS[0]["function"]["parameters"],
            "strict": False,
        }
    ]
    with client.responses.stream(model=MODEL, input="lookup my order", tools=tools) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    plain_call = client.responses.create(model=MODEL, input="lookup my order", tools=tools)
    assert final.output_text == plain_call.output_text == "Let me check."
    assert [o.model_dump(exclude={"parsed_arguments"}) for o in final.output[1:]] == [
        o.model_dump() for o in plain_call.output[1:]
    ]
    truncated = list(
        client.responses.create(
            model=MODEL, input="How is the weather?", max_output_tokens=2, stream=True
        )
    )
    assert truncated[-1].type == "response.incomplete"


def test_broken_streams_raise_connection_errors() -> None:
    faults = Faults(stream_drop_rate=1.0, seed=3)
    with (
        TestingServer(SCRIPT, faults=faults) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
    ):
        received: list[Any] = []
        with pytest.raises(openai.APIConnectionError):
            for chunk in client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "weather"}], stream=True
            ):
                received.append(chunk)
        assert received  # it broke off midway, not before the first event
        with pytest.raises(openai.APIConnectionError):
            list(client.responses.create(model=MODEL, input="weather", stream=True))
        # Plain requests are not streams: that fault leaves them alone.
        assert client.responses.create(model=MODEL, input="weather").output_text
        stats = server.stats.snapshot()
        assert stats["faults"] == 2 and stats["streams"] == 2 and stats["answered"] == 1


def test_time_to_first_token_is_held_back() -> None:
    """A lower bound only: the server sleeps at least ttft before the first token."""
    with (
        TestingServer(SCRIPT, ttft_ms=150, chunk_delay_ms=1) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
    ):
        started = time.perf_counter()
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "weather"}], stream=True
        )
        next(iter(stream))
        assert time.perf_counter() - started >= 0.15
        stream.close()


def test_command_line_flags_reach_the_server() -> None:
    server = build(
        [
            "--port", "0", "--ttft-ms", "250", "--chunk-delay-ms", "20",
            "--stream-drop-rate", "0.25", "--seed", "9",
            "--batch-delay-s", "4", "--batch-fail-rate", "0.1",
            "--batch-expire-rate", "0.05", "--batch-expire-after-s", "30",
        ]
    )  # fmt: skip
    try:
        assert (server.ttft_s, server.chunk_delay_s) == (0.25, 0.02)
        assert server.faults.stream_drop_rate == 0.25 and server.faults.seed == 9
        settings = server.batches.settings
        assert (settings.delay_s, settings.fail_rate, settings.expire_rate) == (4, 0.1, 0.05)
        assert settings.expire_after_s == 30 and settings.seed == 9
    finally:
        server.stop()
