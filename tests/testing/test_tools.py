"""Function tools, tool loops and images on the testing server, through the openai SDK."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from evalkit.errors import ConfigError
from evalkit.testing import Rule, Script, TestingServer, ToolCallSpec

MODEL = "gpt-4.1-mini-2025-04-14"
ORDER_PARAMS = {
    "type": "object",
    "properties": {"order_id": {"type": "string"}},
    "required": ["order_id"],
    "additionalProperties": False,
}
REASON_PARAMS = {"type": "object", "properties": {"reason": {"type": "string"}}}
CHAT_TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {"name": "lookup_order", "parameters": ORDER_PARAMS, "strict": True},
    },
    {"type": "function", "function": {"name": "escalate", "parameters": REASON_PARAMS}},
]
RESPONSES_TOOLS: list[Any] = [
    {"type": "function", "name": "lookup_order", "parameters": ORDER_PARAMS, "strict": True},
    {"type": "function", "name": "escalate", "parameters": REASON_PARAMS, "strict": False},
]
SCRIPT = Script(
    rules=[
        Rule(when=[r"\[tool result lookup_order\].*shipped"], reply="Order A1234 has shipped."),
        Rule(when=[r"\[tool result lookup_order\].*lost"], reply="Sorry, it is lost."),
        Rule(
            when=["where is order"],
            tool_calls=[
                ToolCallSpec(name="lookup_order", arguments={"order_id": "A1234"}),
                ToolCallSpec(name="escalate", arguments={"reason": "customer is waiting"}),
            ],
        ),
        Rule(when=["refund"], tool_calls=[ToolCallSpec(name="refund_payment")]),
        Rule(when=[r"\[image sha256:\w+ image/png\]", "what is this"], reply="A PNG image."),
    ]
)


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with (
        TestingServer(SCRIPT) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as c,
    ):
        yield c


def ask(client: openai.OpenAI, messages: list[Any], **kw: Any) -> Any:
    return client.chat.completions.create(model=MODEL, messages=messages, **kw)


def error_body(exc: pytest.ExceptionInfo[openai.BadRequestError]) -> dict[str, Any]:
    body = exc.value.body
    assert isinstance(body, dict)
    return body


def test_chat_tool_loop_follows_the_script(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "Where is order A1234?"}]
    first = ask(client, messages, tools=CHAT_TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("lookup_order", {"order_id": "A1234"}),
        ("escalate", {"reason": "customer is waiting"}),
    ]
    assert len({c.id for c in calls}) == 2 and all(c.id.startswith("call_") for c in calls)
    again = ask(client, messages, tools=CHAT_TOOLS)
    assert again.model_dump() == first.model_dump()  # ids derive from the request

    def answer(status: str) -> list[Any]:
        results = [
            {"role": "tool", "tool_call_id": c.id, "content": json.dumps({"status": status})}
            for c in calls
        ]
        return [*messages, choice.message.model_dump(exclude_none=True), *results]

    shipped = ask(client, answer("shipped"), tools=CHAT_TOOLS).choices[0]
    assert shipped.message.content == "Order A1234 has shipped."
    assert shipped.finish_reason == "stop" and shipped.message.tool_calls is None
    lost = ask(client, answer("lost"), tools=CHAT_TOOLS).choices[0]
    assert lost.message.content == "Sorry, it is lost."


def test_tool_policy_honours_what_was_sent(client: openai.OpenAI) -> None:
    question = [{"role": "user", "content": "Where is order A1234?"}]
    one = ask(client, question, tools=CHAT_TOOLS, parallel_tool_calls=False).choices[0]
    assert [c.function.name for c in one.message.tool_calls] == ["lookup_order"]
    # Only tools that were sent are ever called: without escalate, only the lookup remains.
    only = ask(client, question, tools=CHAT_TOOLS[:1]).choices[0]
    assert [c.function.name for c in only.message.tool_calls] == ["lookup_order"]
    # A calls-only rule whose tool is not offered does not fire: the default answer comes.
    refund = ask(client, [{"role": "user", "content": "refund me"}], tools=CHAT_TOOLS)
    assert refund.choices[0].message.content == "You said: refund me"
    none = ask(client, question, tools=CHAT_TOOLS, tool_choice="none").choices[0]
    assert none.message.tool_calls is None and none.finish_reason == "stop"
    # No rule, forced: the first tool (or the named one) with a minimal instance of its schema.
    hello = [{"role": "user", "content": "hello"}]
    required = ask(client, hello, tools=CHAT_TOOLS, tool_choice="required").choices[0]
    assert [(c.function.name, c.function.arguments) for c in required.message.tool_calls] == [
        ("lookup_order", '{"order_id":""}')
    ]
    named = {"type": "function", "function": {"name": "escalate"}}
    forced = ask(client, hello, tools=CHAT_TOOLS, tool_choice=named).choices[0]
    assert [c.function.name for c in forced.message.tool_calls] == ["escalate"]
    auto = ask(client, hello, tools=CHAT_TOOLS).choices[0]
    assert auto.message.content == "You said: hello" and auto.message.tool_calls is None


def test_tool_messages_are_validated_like_the_api(client: openai.OpenAI) -> None:
    user = {"role": "user", "content": "Where is order A1234?"}
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": "{}"},
            }
        ],
    }
    with pytest.raises(openai.BadRequestError) as orphan:
        ask(client, [user, {"role": "tool", "tool_call_id": "call_1", "content": "x"}])
    assert error_body(orphan) == {
        "message": "Invalid parameter: messages with role 'tool' must be a response to a "
        "preceeding message with 'tool_calls'.",
        "type": "invalid_request_error",
        "param": "messages.[1].role",
        "code": None,
    }
    with pytest.raises(openai.BadRequestError) as unknown:
        ask(client, [user, call, {"role": "tool", "tool_call_id": "call_9", "content": "x"}])
    assert error_body(unknown)["param"] == "messages.[2].tool_call_id"
    assert "'call_9' not found" in error_body(unknown)["message"]
    with pytest.raises(openai.BadRequestError) as unanswered:
        ask(client, [user, call, {"role": "user", "content": "well?"}])
    assert "did not have response messages: call_1" in error_body(unanswered)["message"]
    with pytest.raises(openai.BadRequestError, match="only allowed when 'tools'"):
        ask(client, [user], tool_choice="required")
    loose = [
        {"type": "function", "function": {"name": "x", "parameters": REASON_PARAMS, "strict": True}}
    ]
    with pytest.raises(openai.BadRequestError) as strict:
        ask(client, [user], tools=loose)
    assert error_body(strict)["code"] == "invalid_function_parameters"
    assert "'additionalProperties' is required" in error_body(strict)["message"]


def test_responses_tool_loop_with_previous_response(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model=MODEL, input="Where is order A1234?", tools=RESPONSES_TOOLS, parallel_tool_calls=False
    )
    assert [(o.type, o.name, o.arguments, o.status) for o in first.output] == [
        ("function_call", "lookup_order", '{"order_id":"A1234"}', "completed")
    ]
    call = first.output[0]
    assert call.call_id.startswith("call_") and call.id and call.id.startswith("fc_")
    assert first.tools[0].name == "lookup_order" and first.parallel_tool_calls is False
    output = {"type": "function_call_output", "call_id": call.call_id, "output": "status: shipped"}
    chained = client.responses.create(
        model=MODEL, previous_response_id=first.id, input=[output], tools=RESPONSES_TOOLS
    )
    assert chained.output_text == "Order A1234 has shipped."
    # The same conversation sent in full, without the stored response, gets the same answer.
    full = [
        {"role": "user", "content": "Where is order A1234?"},
        call.model_dump(exclude_none=True),
        output,
    ]
    assert client.responses.create(model=MODEL, input=full).output_text == chained.output_text
    with pytest.raises(openai.BadRequestError) as stray:
        client.responses.create(
            model=MODEL,
            input=[{"type": "function_call_output", "call_id": "call_nope", "output": "x"}],
        )
    assert error_body(stray) == {
        "message": "No tool call found for function call output with call_id call_nope.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }
    with pytest.raises(openai.BadRequestError, match="No tool output found for function call"):
        client.responses.create(model=MODEL, previous_response_id=first.id, input="and?")
    # Unlike Chat Completions, the Responses API takes a tool_choice without tools.
    assert client.responses.create(model=MODEL, input="hi", tool_choice="auto").output_text
    with pytest.raises(openai.BadRequestError, match="Previous response with id"):
        client.responses.create(model=MODEL, previous_response_id="resp_missing", input="hi")


def test_images_are_markers_and_cost_tokens(client: openai.OpenAI) -> None:
    def with_image(url: str, detail: str = "auto") -> list[Any]:
        parts = [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": url, "detail": detail}},
        ]
        return [{"role": "user", "content": parts}]

    small, big = png(1, 1), png(1024, 1024)
    answer = ask(client, with_image(data_url(small)))
    assert answer.choices[0].message.content == "A PNG image."
    plain = ask(client, [{"role": "user", "content": "What is this?"}])
    low = ask(client, with_image(data_url(big), "low"))
    high = ask(client, with_image(data_url(big), "high"))
    assert low.usage.prompt_tokens - plain.usage.prompt_tokens >= 85
    assert high.usage.prompt_tokens - low.usage.prompt_tokens == 170 * 4  # four 512px tiles
    # The marker names the image, so the echo differs when the image does.
    echo_a = ask(
        client, [{"role": "user", "content": with_image(data_url(small))[0]["content"][1:]}]
    )
    echo_b = ask(client, [{"role": "user", "content": with_image(data_url(big))[0]["content"][1:]}])
    text_a, text_b = echo_a.choices[0].message.content, echo_b.choices[0].message.content
    assert text_a.startswith("You said: [image sha256:") and "image/png]" in text_a
    assert text_a != text_b
    for url, why in [
        ("aGVsbG8=", "without the 'data:' prefix"),
        ("data:text/plain;base64,aGVsbG8=", "unsupported MIME type 'text/plain'"),
        ("data:image/png;base64,", "empty base64-encoded bytes"),
        ("data:image/png;base64,@@@", "invalid base64-encoded bytes"),
    ]:
        with pytest.raises(openai.BadRequestError) as bad:
            ask(client, with_image(url))
        body = error_body(bad)
        assert why in body["message"]
        assert body["param"] == "messages[0].content[1].image_url.url"
        assert body["code"] == "invalid_value"
    with pytest.raises(openai.BadRequestError) as not_image:
        ask(client, with_image(data_url(b"plain text, not pixels")))
    assert error_body(not_image)["code"] == "invalid_image_format"
    response = client.responses.create(
        model=MODEL,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": data_url(small), "detail": "auto"},
                ],
            }
        ],
    )
    assert response.output_text == "A PNG image."
    with pytest.raises(openai.BadRequestError) as bad_input:
        client.responses.create(
            model=MODEL,
            input=[
                {
                    "role": "user",
                    "content": [{"type": "input_image", "image_url": "nope", "detail": "auto"}],
                }
            ],
        )
    assert error_body(bad_input)["param"] == "input[0].content[0].image_url"


def test_script_files_take_tool_calls(tmp_path: Any) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(
        "rules:\n"
        "  - when: ['tool result lookup_order']\n"
        "    reply: done\n"
        "  - when: ['order']\n"
        "    unless: ['cancel']\n"
        "    tool_calls: [{name: lookup_order, args: {order_id: B7}}]\n",
        encoding="utf-8",
    )
    script = Script.load(path)
    assert script.rules[1].tool_calls[0].arguments == {"order_id": "B7"}
    assert script.rules[1].matches(MODEL, "my order") and not script.rules[1].matches(
        MODEL, "cancel my order"
    )
    path.write_text("rules:\n  - when: ['x']\n  - when: ['(']\n    reply: y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"model.yaml:2: .*needs a `reply`, `tool_calls`"):
        Script.load(path)


def test_documented_script_runs_a_tool_loop(tmp_path: Any) -> None:
    """The script in the docs' testing-server page drives a lookup, then an answer."""
    page = Path(__file__).resolve().parents[2] / "docs" / "reference" / "testing-server.md"
    section = page.read_text(encoding="utf-8").split("\n## Scripts\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    path = tmp_path / "model.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    with (
        TestingServer(Script.load(path)) as server,
        openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
    ):
        messages: list[Any] = [{"role": "user", "content": "Where is order A1234?"}]
        first = ask(client, messages, tools=CHAT_TOOLS[:1]).choices[0].message
        [call] = first.tool_calls or []
        result = {"role": "tool", "tool_call_id": call.id, "content": '{"status": "shipped"}'}
        second = ask(
            client, [*messages, first.model_dump(exclude_none=True), result], tools=CHAT_TOOLS[:1]
        )
        assert second.choices[0].message.content == "Your order has shipped."
