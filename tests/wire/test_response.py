"""wire/response.py: one answer read the same across the three endpoints, and a body in any
odd shape (recordings are hand-editable) read as empty, never as a crash; a batched
embeddings answer split back into one answer per text with the usage shared out."""

from __future__ import annotations

import random
from typing import Any

import pytest

from evalkit.wire.response import Response, split_embeddings
from evalkit.wire.tools import ToolCall


def chat(message: Any, finish: Any = "stop", **body: Any) -> Response:
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return Response(endpoint="chat.completions", body={"choices": [choice], **body})


def responses(**body: Any) -> Response:
    return Response(endpoint="responses", body=body)


# -- how the answer came ------------------------------------------------------------------------


def test_rate_and_via_follow_how_it_was_answered() -> None:
    assert Response(endpoint="responses", body={}).via == "api"
    batch = Response(endpoint="responses", body={}, batch_id="batch_1")
    assert batch.rate == "batch" and batch.via == "batch"
    replayed = Response(endpoint="responses", body={}, batch_id="batch_1", replayed=True)
    assert replayed.via == "recording" and replayed.rate == "batch"  # priced as it was paid
    assert Response(endpoint="responses", body={}).rate == "standard"


@pytest.mark.parametrize(("model", "read"), [("gpt-4o", "gpt-4o"), (3, None), (None, None)])
def test_the_model_is_only_a_string(model: Any, read: str | None) -> None:
    assert Response(endpoint="responses", body={"model": model}).model == read


# -- text -------------------------------------------------------------------------------------------


def test_chat_text_is_the_content_else_the_refusal() -> None:
    assert chat({"content": "hello"}).text == "hello"
    assert chat({"content": None, "refusal": "I can't"}).text == "I can't"
    assert chat({"content": "", "refusal": "no"}).text == "no"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"choices": []},
        {"choices": "x"},
        {"choices": [None]},
        {"choices": [{"message": "text"}]},
        {"choices": [{"message": {"content": ["a", "b"]}}]},
        {"choices": [{"message": {"content": 42}}]},
    ],
)
def test_an_odd_chat_body_has_no_text(body: dict[str, Any]) -> None:
    response = Response(endpoint="chat.completions", body=body)
    assert response.text == ""
    assert response.finish_reason is None
    assert response.tool_calls() == []


def test_responses_text_prefers_output_text() -> None:
    output = [{"type": "message", "content": [{"type": "output_text", "text": "from items"}]}]
    assert responses(output_text="top", output=output).text == "top"
    assert responses(output=output).text == "from items"


def test_responses_text_joins_only_message_output_text_parts() -> None:
    output: list[Any] = [
        {"type": "reasoning", "content": [{"type": "output_text", "text": "hidden"}]},
        {
            "type": "message",
            "content": [
                {"type": "output_text", "text": "one "},
                {"type": "refusal", "refusal": "nope"},
                {"type": "output_text", "text": 5},
                "junk",
                {"type": "output_text", "text": "two"},
            ],
        },
        "junk",
        {"type": "message", "content": "not a list"},
        {"type": "message", "content": [{"type": "output_text", "text": "!"}]},
    ]
    assert responses(output=output, output_text=None).text == "one two!"


def test_embeddings_have_no_text() -> None:
    assert Response(endpoint="embeddings", body={"data": []}).text == ""


# -- finish reasons -------------------------------------------------------------------------------


def test_chat_finish_reason_is_read_as_sent() -> None:
    assert chat({"content": "x"}, finish="length").finish_reason == "length"
    assert chat({"content": "x"}, finish=7).finish_reason is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"status": "completed"}, "stop"),
        ({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}, "length"),
        (
            {"status": "incomplete", "incomplete_details": {"reason": "content_filter"}},
            "content_filter",
        ),
        ({"status": "incomplete", "incomplete_details": {"reason": "other"}}, "incomplete"),
        ({"status": "failed"}, "failed"),
        ({"status": 3}, None),
        ({}, None),
    ],
)
def test_responses_status_maps_to_the_chat_finish_reasons(
    body: dict[str, Any], reason: str | None
) -> None:
    assert responses(**body).finish_reason == reason


def test_embeddings_have_no_finish_reason() -> None:
    assert Response(endpoint="embeddings", body={}).finish_reason is None


# -- tool calls and the continuation -------------------------------------------------------------


def test_chat_tool_calls_keep_the_arguments_as_written() -> None:
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
        {"id": 2, "function": {"name": None, "arguments": {"not": "text"}}},
        "junk",
    ]
    found = chat({"content": None, "tool_calls": calls}).tool_calls(turn=3)
    assert found == [
        ToolCall(id="c1", name="f", arguments='{"a": 1}', turn=3),
        ToolCall(id="", name="", arguments="", turn=3),
        ToolCall(id="", name="", arguments="", turn=3),
    ]


def test_responses_tool_calls_are_the_function_call_items() -> None:
    output = [
        {"type": "message", "content": []},
        {"type": "function_call", "call_id": "k", "name": "lookup", "arguments": "{}"},
        {"type": "function_call", "call_id": "m", "name": "other", "arguments": "[1]"},
    ]
    found = responses(output=output).tool_calls()
    assert [(c.id, c.name, c.arguments) for c in found] == [
        ("k", "lookup", "{}"),
        ("m", "other", "[1]"),
    ]
    assert Response(endpoint="embeddings", body={"data": []}).tool_calls() == []


def test_the_chat_continuation_is_the_assistant_message_with_its_calls() -> None:
    calls = [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]
    assert chat({"content": None, "tool_calls": calls}).continuation() == [
        {"role": "assistant", "content": None, "tool_calls": calls}
    ]
    assert chat({"content": "done", "tool_calls": []}).continuation() == [
        {"role": "assistant", "content": "done"}
    ]


def test_the_responses_continuation_is_every_output_item_copied() -> None:
    item = {"type": "function_call", "call_id": "k", "name": "f", "arguments": "{}"}
    response = responses(output=[item, "junk"])
    continued = response.continuation()
    assert continued == [item, {}]
    continued[0]["name"] = "changed"
    assert response.body["output"][0]["name"] == "f"  # the recording is not edited through it


# -- usage ----------------------------------------------------------------------------------------


def test_usage_reads_either_apis_names() -> None:
    chat_usage = {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "prompt_tokens_details": {"cached_tokens": 6},
    }
    one = chat({"content": "x"}, usage=chat_usage)
    assert (one.input_tokens, one.output_tokens, one.cached_tokens) == (10, 4, 6)
    other = responses(
        usage={"input_tokens": 7, "output_tokens": 2, "input_tokens_details": {"cached_tokens": 1}}
    )
    assert (other.input_tokens, other.output_tokens, other.cached_tokens) == (7, 2, 1)


@pytest.mark.parametrize(
    ("value", "read"),
    [(True, 0), (-5, 0), ("12", 0), (float("nan"), 0), (3.9, 3), (None, 0), (12, 12)],
)
def test_a_usage_count_that_is_not_a_count_reads_as_0(value: Any, read: int) -> None:
    response = responses(usage={"input_tokens": value, "output_tokens": value})
    assert response.input_tokens == read and response.output_tokens == read


def test_usage_that_is_not_an_object_is_none() -> None:
    response = responses(usage=[1, 2])
    assert (response.input_tokens, response.output_tokens, response.cached_tokens) == (0, 0, 0)


# -- embeddings -----------------------------------------------------------------------------------


def embeddings(vectors: list[Any], order: list[int], tokens: int = 10) -> Response:
    data = [{"object": "embedding", "index": i, "embedding": vectors[i]} for i in order]
    return Response(
        endpoint="embeddings",
        body={"data": data, "model": "text-embedding-3-small", "usage": {"prompt_tokens": tokens}},
        request_id="req_1",
        latency_ms=12.5,
        source="api.openai.com",
        retries=2,
    )


def test_vectors_come_back_in_input_order_whatever_the_order_sent() -> None:
    rng = random.Random(9)
    for _ in range(20):
        count = rng.randrange(1, 8)
        vectors = [[float(i), float(-i)] for i in range(count)]
        order = list(range(count))
        rng.shuffle(order)
        assert embeddings(vectors, order).embeddings == vectors


def test_split_embeddings_gives_each_text_its_own_answer() -> None:
    vectors = [[1.0], [2.0], [3.0]]
    parts = split_embeddings(embeddings(vectors, [2, 0, 1], tokens=10), 3)
    assert [p.embeddings for p in parts] == [[[1.0]], [[2.0]], [[3.0]]]
    assert [p.input_tokens for p in parts] == [3, 3, 3]  # 10 shared out, rounded down
    assert all(p.body["data"][0]["index"] == 0 for p in parts)
    assert all(
        (p.request_id, p.latency_ms, p.source, p.retries) == ("req_1", 12.5, "api.openai.com", 2)
        for p in parts
    )
    assert all(p.body["model"] == "text-embedding-3-small" for p in parts)


@pytest.mark.parametrize(("sent", "asked"), [(2, 3), (3, 2), (0, 1)])
def test_split_embeddings_refuses_a_wrong_count(sent: int, asked: int) -> None:
    response = embeddings([[0.0]] * sent, list(range(sent)))
    with pytest.raises(ValueError, match=f"returned {sent} vectors for {asked} texts"):
        split_embeddings(response, asked)


def test_split_embeddings_refuses_a_body_without_data() -> None:
    response = Response(endpoint="embeddings", body={"data": "x"})
    with pytest.raises(ValueError, match="returned 0 vectors for 1 texts"):
        split_embeddings(response, 1)
