"""A small application as a team would write it, and its tests, written into a pytester
project: it calls the SDK the ways real code does (``parse``, a tool loop, both kinds of
streams, embeddings, Responses, an async batch, and a client it builds itself)."""

from __future__ import annotations

from evalkit.testing import Rule, Script, ToolCallSpec

MODEL = "gpt-4.1-mini-2025-04-14"

APP = """
from __future__ import annotations

import asyncio
import json

from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel

MODEL = "gpt-4.1-mini-2025-04-14"
SYSTEM = "You extract invoices from emails."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look an order up",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
                "additionalProperties": False,
            },
        },
    }
]


class Invoice(BaseModel):
    vendor: str
    total: float
    currency: str


def extract_invoice(client: OpenAI, email: str) -> Invoice:
    completion = client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": email}],
        response_format=Invoice,
    )
    return completion.choices[0].message.parsed


def shout(text: str) -> str:
    client = OpenAI()  # built inside the app: reads OPENAI_BASE_URL and OPENAI_API_KEY
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": f"Shout: {text}"}]
    )
    return completion.choices[0].message.content


def stream_chat(client: OpenAI, text: str) -> list[dict]:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": text}],
        stream=True,
        stream_options={"include_usage": True},
    )
    return [chunk.model_dump() for chunk in stream]


def respond(client: OpenAI, text: str) -> str:
    return client.responses.create(model=MODEL, input=text).output_text


def respond_stream(client: OpenAI, text: str) -> list[dict]:
    return [event.model_dump() for event in client.responses.create(model=MODEL, input=text, stream=True)]


def embed(client: OpenAI, texts: list[str]) -> list[list[float]]:
    result = client.embeddings.create(model="text-embedding-3-small", input=texts)
    return [item.embedding for item in result.data]


def lookup_order(order_id: str) -> dict:
    return {"order_id": order_id, "status": "shipped"}


def support_agent(client: OpenAI, question: str) -> str:
    messages = [{"role": "user", "content": question}]
    for _ in range(4):
        message = client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOLS
        ).choices[0].message
        if not message.tool_calls:
            return message.content
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = lookup_order(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    raise RuntimeError("no answer after 4 turns")


async def triage_all(client: AsyncOpenAI, tickets: list[str]) -> list[str]:
    async def one(ticket: str) -> str:
        completion = await client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Triage: {ticket}"}]
        )
        return completion.choices[0].message.content

    return list(await asyncio.gather(*(one(t) for t in tickets)))
"""

TESTS = """
import asyncio

import evalkit
import invoice_app as app
import pytest

EMAIL = "Invoice from ACME: 12.50 EUR for paper."


def test_extract(evalkit_openai):
    invoice = app.extract_invoice(evalkit_openai.client(), EMAIL)
    assert invoice.currency == "EUR" and invoice.vendor == "ACME"
    evalkit.check(
        evalkit_openai.answer(invoice.model_dump_json()),
        {"type": "equals", "path": "total", "value": 12.5},
        {"type": "output_tokens", "max": 500},
        {"type": "input_tokens", "max": 5000},
        {"type": "cost_usd", "max": 0.01},
    )


def test_client_built_inside_the_app(evalkit_openai):
    assert "HELLO" in app.shout("hello").upper()


def test_streams(evalkit_openai):
    client = evalkit_openai.client()
    chunks = app.stream_chat(client, "Say hi")
    events = app.respond_stream(client, "Say hi")
    assert chunks[-1]["usage"]["total_tokens"] > 0
    assert events[-1]["type"] == "response.completed"
    with open("streams-seen.txt", "w") as seen:  # compared between record and replay
        seen.write(repr((chunks, events)))


def test_responses_and_embeddings(evalkit_openai):
    client = evalkit_openai.client()
    assert app.respond(client, "Echo this back")
    vectors = app.embed(client, ["one", "two"])
    assert len(vectors) == 2 and len(vectors[0]) > 8


def test_tool_loop(evalkit_openai):
    answer = app.support_agent(evalkit_openai.client(), "Where is order A1234?")
    assert "shipped" in answer


def test_async_batch(evalkit_openai):
    tickets = ["login broken", "refund please", "site down"]
    answers = asyncio.run(app.triage_all(evalkit_openai.async_client(), tickets))
    assert len(answers) == 3 and all(answers)


@pytest.mark.anyio
async def test_in_an_async_test(evalkit_openai):
    answers = await app.triage_all(evalkit_openai.async_client(), ["printer jammed"])
    assert answers == ["You said: Triage: printer jammed"]


def test_caught_error_still_fails(evalkit_openai):
    try:
        app.shout("caught")
    except Exception:
        pass
"""

SCRIPT = Script(
    rules=[
        Rule(
            when=["Invoice from ACME"], reply={"vendor": "ACME", "total": 12.5, "currency": "EUR"}
        ),
        Rule(when=["order A1234", "shipped"], reply="Your order A1234 has shipped."),
        Rule(
            when=["order A1234"],
            tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": "A1234"})],
            finish_reason="tool_calls",
        ),
    ]
)
