"""Files and Batches on the testing server, driven through the openai SDK with a test clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from evalkit.testing import Rule, Script, TestingServer

MODEL = "gpt-4.1-mini-2025-04-14"
SCRIPT = Script(rules=[Rule(when=["weather"], reply="Sunny.")])


class Clock:
    """The server's clock, moved by the test: batch states follow it, no sleeping."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def chat_line(custom_id: str, text: str, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": MODEL, "messages": [{"role": "user", "content": text}], **body},
    }


def jsonl(lines: list[Any]) -> bytes:
    return "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines).encode()


def read(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(x) for x in client.files.content(file_id).text.splitlines()]


def serve(clock: Clock, **kwargs: Any) -> tuple[TestingServer, openai.OpenAI]:
    server = TestingServer(SCRIPT, clock=clock, batch_delay_s=100, **kwargs)
    return server, openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def setup(clock: Clock) -> Iterator[tuple[TestingServer, openai.OpenAI]]:
    server, client = serve(clock)
    with server, client:
        yield server, client


def submit(client: openai.OpenAI, lines: list[Any], endpoint: Any = "/v1/chat/completions") -> Any:
    uploaded = client.files.create(file=("input.jsonl", jsonl(lines)), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id,
        endpoint=endpoint,
        completion_window="24h",
        metadata={"run": "nightly"},
    )


def test_files_round_trip(setup: tuple[TestingServer, openai.OpenAI]) -> None:
    _, client = setup
    data = jsonl([chat_line("a", "hi")])
    uploaded = client.files.create(file=("in.jsonl", data), purpose="batch")
    assert uploaded.id.startswith("file-") and uploaded.bytes == len(data)
    assert (uploaded.filename, uploaded.purpose, uploaded.status) == (
        "in.jsonl",
        "batch",
        "processed",
    )
    assert client.files.retrieve(uploaded.id) == uploaded
    assert client.files.content(uploaded.id).content == data
    assert [f.id for f in client.files.list(purpose="batch")] == [uploaded.id]
    assert client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError, match="No such File object"):
        client.files.retrieve(uploaded.id)
    with pytest.raises(openai.BadRequestError, match=r"Must be \.jsonl"):
        client.files.create(file=("in.txt", data), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="Supported values"):
        client.files.create(file=("in.jsonl", data), purpose="nonsense")  # type: ignore[arg-type]


def test_batch_lifecycle_and_answers_equal_live_ones(
    setup: tuple[TestingServer, openai.OpenAI], clock: Clock
) -> None:
    server, client = setup
    lines = [chat_line(f"case-{i}", f"weather {i}?" if i % 2 else f"hello {i}") for i in range(10)]
    batch = submit(client, lines)
    assert (batch.status, batch.endpoint, batch.metadata) == (
        "validating",
        "/v1/chat/completions",
        {"run": "nightly"},
    )
    assert batch.expires_at == batch.created_at + 24 * 3600
    seen = []
    for step in (5, 20, 50, 85, 95, 100):
        clock.now = batch.created_at + step
        got = client.batches.retrieve(batch.id)
        assert got.request_counts is not None
        seen.append((got.status, got.request_counts.completed, got.request_counts.total))
    assert seen == [
        ("validating", 0, 10),
        ("in_progress", 1, 10),
        ("in_progress", 5, 10),
        ("in_progress", 9, 10),
        ("finalizing", 10, 10),
        ("completed", 10, 10),
    ]
    done = client.batches.retrieve(batch.id)
    assert done.error_file_id is None and done.completed_at == batch.created_at + 100
    assert done.in_progress_at and done.finalizing_at and done.model == MODEL
    assert done.usage is not None and done.usage.input_tokens > 0
    output = read(client, done.output_file_id)
    assert [o["custom_id"] for o in output] == [line["custom_id"] for line in lines]
    for record, line in zip(output, lines, strict=True):
        assert record["error"] is None and record["response"]["status_code"] == 200
        assert record["id"].startswith("batch_req_")
        live = client.chat.completions.with_raw_response.create(**line["body"])
        assert record["response"]["body"] == json.loads(live.content)  # the live body, exactly
    assert output[1]["response"]["body"]["choices"][0]["message"]["content"] == "Sunny."
    stats = server.stats.snapshot()
    assert (
        stats["batches_created"],
        stats["batch_lines_submitted"],
        stats["batch_lines_repeated"],
    ) == (1, 10, 0)
    submit(client, [*lines[:3], chat_line("new", "something else")])
    stats = server.stats.snapshot()
    assert (stats["batch_lines_submitted"], stats["batch_lines_repeated"]) == (14, 3)
    assert [b.id for b in client.batches.list()][-1] == batch.id  # newest first


def test_validation_failures_fail_the_batch(
    setup: tuple[TestingServer, openai.OpenAI], clock: Clock
) -> None:
    _, client = setup

    def errors_of(lines: list[Any]) -> list[tuple[str | None, int | None]]:
        batch = submit(client, lines)
        clock.now = batch.created_at + 10
        failed = client.batches.retrieve(batch.id)
        assert failed.status == "failed" and failed.failed_at is not None
        assert failed.errors is not None and failed.errors.data is not None
        return [(e.code, e.line) for e in failed.errors.data]

    other = chat_line("b", "x")
    other["body"]["model"] = "gpt-4.1-2025-04-14"
    embedding = {**chat_line("c", "x"), "url": "/v1/embeddings"}
    streamed = chat_line("d", "x", stream=True)
    assert errors_of(
        [chat_line("a", "x"), "{not json", other, embedding, chat_line("a", "y"), streamed]
    ) == [
        ("invalid_json_line", 2),
        ("mismatched_model", 3),
        ("invalid_url", 4),
        ("duplicate_custom_id", 5),
        ("streaming_unsupported", 6),
    ]
    missing = {k: v for k, v in chat_line("e", "x").items() if k != "custom_id"}
    assert errors_of([missing]) == [("missing_required_parameter", 1)]
    too_many = [chat_line(f"n{i}", "x") for i in range(50_001)]
    assert errors_of(too_many) == [("batch_too_large", 50_001)]
    ghost = client.batches.create(
        input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"
    )
    clock.now = ghost.created_at + 10
    assert client.batches.retrieve(ghost.id).status == "failed"
    with pytest.raises(openai.BadRequestError) as bad_endpoint:
        submit(client, [chat_line("a", "x")], endpoint="/v1/nowhere")
    assert (
        isinstance(bad_endpoint.value.body, dict) and bad_endpoint.value.body["param"] == "endpoint"
    )
    with pytest.raises(openai.NotFoundError, match="No batch found"):
        client.batches.retrieve("batch_missing")


def test_failed_lines_go_to_the_error_file(clock: Clock) -> None:
    lines = [chat_line(f"c{i}", f"hello {i}") for i in range(40)]

    def failures(server: TestingServer, client: openai.OpenAI) -> set[str]:
        batch = submit(client, lines)
        clock.now = batch.created_at + 100
        done = client.batches.retrieve(batch.id)
        assert done.status == "completed" and done.request_counts is not None
        output, errors = read(client, done.output_file_id), read(client, done.error_file_id)
        assert (done.request_counts.completed, done.request_counts.failed) == (
            len(output),
            len(errors),
        )
        assert len(output) + len(errors) == 40
        for record in errors:
            assert record["error"] is None and record["response"]["status_code"] == 500
            assert record["response"]["body"]["error"]["type"] == "server_error"
        return {e["custom_id"] for e in errors}

    server, client = serve(clock, batch_fail_rate=0.5)
    with server, client:
        first = failures(server, client)
        assert 10 < len(first) < 30  # about half
        assert failures(server, client) != first  # a re-sent line gets a fresh draw
    server, client = serve(clock, batch_fail_rate=0.5)
    with server, client:
        assert failures(server, client) == first  # the same seed draws the same lines


def test_a_line_the_api_refuses_is_a_400_in_the_error_file(
    setup: tuple[TestingServer, openai.OpenAI], clock: Clock
) -> None:
    _, client = setup
    orphan = {"model": MODEL, "messages": [{"role": "tool", "tool_call_id": "x", "content": "x"}]}
    batch = submit(client, [chat_line("good", "hello"), {**chat_line("bad", "x"), "body": orphan}])
    clock.now = batch.created_at + 100
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (1, 1)
    [refused] = read(client, done.error_file_id)
    assert refused["custom_id"] == "bad" and refused["response"]["status_code"] == 400
    with pytest.raises(openai.BadRequestError) as live:
        client.chat.completions.create(**orphan)
    assert refused["response"]["body"] == {"error": live.value.body}


def test_expiry_leaves_unfinished_lines_in_the_error_file(clock: Clock) -> None:
    server, client = serve(clock, batch_expire_after_s=50)
    with server, client:
        lines = [chat_line(f"c{i}", f"hello {i}") for i in range(8)]
        batch = submit(client, lines)
        clock.now = batch.created_at + 60
        expired = client.batches.retrieve(batch.id)
        assert expired.status == "expired" and expired.expired_at == batch.created_at + 50
        output, errors = read(client, expired.output_file_id), read(client, expired.error_file_id)
        assert [o["custom_id"] for o in output] == ["c0", "c1", "c2", "c3"]  # 40 of 80 seconds
        assert [e["custom_id"] for e in errors] == ["c4", "c5", "c6", "c7"]
        assert all(e["response"] is None and e["error"]["code"] == "batch_expired" for e in errors)
    server, client = serve(clock, batch_expire_rate=1.0)
    with server, client:
        batch = submit(client, [chat_line("only", "hello")])
        clock.now = batch.created_at + 100
        expired = client.batches.retrieve(batch.id)
        assert expired.status == "expired" and expired.output_file_id is None
        assert read(client, expired.error_file_id)[0]["error"]["code"] == "batch_expired"


def test_cancel_keeps_what_finished(
    setup: tuple[TestingServer, openai.OpenAI], clock: Clock
) -> None:
    _, client = setup
    batch = submit(client, [chat_line(f"c{i}", f"hello {i}") for i in range(8)])
    clock.now = batch.created_at + 50
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at == batch.created_at + 50
    clock.now += 20
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled" and cancelled.error_file_id is None
    assert [o["custom_id"] for o in read(client, cancelled.output_file_id)] == [
        "c0",
        "c1",
        "c2",
        "c3",
    ]
    assert client.batches.cancel(batch.id).status == "cancelled"  # cancelling again is allowed
    finished = submit(client, [chat_line("x", "hello")])
    clock.now = finished.created_at + 100
    with pytest.raises(openai.ConflictError, match="Cannot cancel a batch with status 'completed'"):
        client.batches.cancel(finished.id)


def test_responses_and_embeddings_batches(
    setup: tuple[TestingServer, openai.OpenAI], clock: Clock
) -> None:
    _, client = setup
    responses = submit(
        client,
        [
            {
                "custom_id": "r",
                "method": "POST",
                "url": "/v1/responses",
                "body": {"model": MODEL, "input": "weather?"},
            }
        ],
        endpoint="/v1/responses",
    )
    embeddings = submit(
        client,
        [
            {
                "custom_id": "e",
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", "input": "the cat sat"},
            }
        ],
        endpoint="/v1/embeddings",
    )
    clock.now = max(responses.created_at, embeddings.created_at) + 100
    [answer] = read(client, client.batches.retrieve(responses.id).output_file_id)
    assert answer["response"]["body"]["output"][0]["content"][0]["text"] == "Sunny."
    [vector] = read(client, client.batches.retrieve(embeddings.id).output_file_id)
    live = client.embeddings.create(
        model="text-embedding-3-small", input="the cat sat", encoding_format="float"
    )
    assert vector["response"]["body"]["data"][0]["embedding"] == live.data[0].embedding
