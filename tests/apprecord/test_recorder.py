"""The recording file, the difference named for an unrecorded call, and the endpoint's
answers to the real SDK, without a pytest run around them."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from evalkit.apprecord.cassette import (
    Answer,
    AppRecording,
    Entry,
    Event,
    owner_test_id,
    read_recording,
    recording_path,
    request_key,
    write_recording,
)
from evalkit.apprecord.endpoint import AppEndpoint
from evalkit.apprecord.match import first_difference, nearest
from evalkit.apprecord.recorder import Recorder
from evalkit.apprecord.upstream import Credentials, Upstream
from evalkit.config import Mode
from evalkit.errors import RecordingError
from evalkit.project.recordings import owner_kind
from evalkit.testing import TestingServer

MODEL = "gpt-4.1-mini-2025-04-14"
TEST = "tests/test_x.py::test_one"


def chat(content: str, **extra: object) -> dict[str, object]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}


def completion(text: str) -> Answer:
    return Answer(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        },
        request_id="req_1",
    )


def recording(*pairs: tuple[dict[str, object], list[Answer]]) -> AppRecording:
    return AppRecording(
        test=TEST,
        interactions={
            request_key("chat.completions", body): Entry(
                endpoint="chat.completions", body=body, answers=answers
            )
            for body, answers in pairs
        },
    )


def test_paths_stay_inside_and_name_the_test(tmp_path: Path) -> None:
    assert owner_test_id(tmp_path, tmp_path / "tests" / "test_x.py", "TestA::test_b[1-2]") == (
        "tests/test_x.py::TestA::test_b[1-2]"
    )
    path = recording_path(tmp_path, "tests/unit/test_x.py::test_b[a/../../b]")
    assert path.parent == tmp_path / "app" / "tests" / "unit" / "test_x"
    assert "/" not in path.name and path.name.startswith("test_b-a-")
    escaped = recording_path(tmp_path, "../../etc/test_x.py::test_y")
    assert tmp_path / "app" in escaped.parents


def test_file_is_byte_stable_marked_and_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-0123456789abcdef")
    path = tmp_path / "r.json"
    stream = Answer(events=[Event(event=None, data={"b": 1, "a": [2]}), Event(data="[DONE]")])
    first = recording(
        (chat("key sk-live-0123456789abcdef"), [completion("one")]), (chat("two"), [stream])
    )
    assert write_recording(path, first)
    text = path.read_text()
    assert "sk-live" not in text and text.endswith("}\n")
    assert owner_kind(path).test == TEST  # prune and check read it as the test's
    again = AppRecording.model_validate(json.loads(text))
    assert not write_recording(path, again)  # unchanged: not rewritten
    assert again.render() == text
    assert Event(data={"b": 1, "a": [2]}).frame() == b'data: {"b":1,"a":[2]}\n\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        (
            '{"format": "evalkit-app-recording/1", "test": "t", "interactions": {"k": {}}}',
            "interactions.k.endpoint",
        ),
        ('{"format": "other/9", "test": "t"}', "malformed recording at format"),
    ],
)
def test_a_broken_file_is_a_recording_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(RecordingError, match=message) as caught:
        read_recording(path)
    assert caught.value.file is not None and "r.json" in caught.value.file
    assert "--evalkit-mode=rerecord" in caught.value.message


def test_first_difference_is_the_first_field_in_the_new_request() -> None:
    old = chat("You extract invoices.", temperature=0)
    new = chat("You pull invoices.", temperature=0.5)
    assert first_difference(new, old) == (
        "messages[0].content: recorded 'You extract invoices.', now 'You pull invoices.'"
    )
    assert first_difference({**old, "seed": 1}, old) == "seed: recorded absent, now 1"
    assert first_difference(old, old) is None
    near = chat("You extract invoices!", temperature=0)
    far = {"model": "other", "input": "x"}
    recorded = [("chat.completions", far), ("chat.completions", near), ("responses", old)]
    assert nearest("chat.completions", old, recorded) is near


def serve(tmp_path: Path, mode: Mode, recorded: AppRecording | None) -> Recorder:
    path = tmp_path / "r.json"
    if recorded is not None:
        write_recording(path, recorded)
    upstream = Upstream(Credentials(None, None), 60)
    return Recorder.open(TEST, path, mode, upstream, "run with --evalkit-mode=record")


def test_replay_answers_in_call_order_and_refuses_the_rest_at_once(tmp_path: Path) -> None:
    recorder = serve(
        tmp_path, Mode.REPLAY, recording((chat("hi"), [completion("a"), completion("b")]))
    )
    with AppEndpoint(recorder) as endpoint:
        client = openai.OpenAI(api_key="unused", base_url=endpoint.base_url, max_retries=2)
        said = [
            client.chat.completions.create(**chat("hi")).choices[0].message.content for _ in "ab"
        ]  # type: ignore[call-overload]
        assert said == ["a", "b"]
        with pytest.raises(
            openai.BadRequestError, match="recorded 2 times and was now made a 3rd time"
        ):
            client.chat.completions.create(**chat("hi"))  # type: ignore[call-overload]
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(**chat("hello"))  # type: ignore[call-overload]
        with pytest.raises(openai.NotFoundError, match="records POST"):
            client.models.list()
    message = caught.value.message
    assert "tests/test_x.py::test_one: no recording of this chat.completions call" in message
    assert "messages[0].content: recorded 'hi', now 'hello'" in message
    assert len(recorder.problems) == 2  # the fixture fails the test with them
    assert recorder.result(passed=True) is None  # replay writes nothing


def test_record_without_a_key_says_how(tmp_path: Path) -> None:
    recorder = serve(tmp_path, Mode.RECORD, recording((chat("hi"), [completion("a")])))
    with AppEndpoint(recorder) as endpoint:
        client = openai.OpenAI(api_key="unused", base_url=endpoint.base_url)
        assert client.chat.completions.create(**chat("hi")).choices[0].message.content == "a"  # type: ignore[call-overload]
        with pytest.raises(openai.BadRequestError, match="set OPENAI_API_KEY"):
            client.chat.completions.create(**chat("new"))  # type: ignore[call-overload]
    kept = recorder.result(passed=False)  # what it replayed is kept
    assert kept is not None and len(kept.interactions) == 1


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    recorder = serve(tmp_path, Mode.REPLAY, None)
    with pytest.raises(Exception, match=r"r\.json does not exist; run with --evalkit-mode=record"):
        recorder.answer("embeddings", {"model": "text-embedding-3-small", "input": ["x"]})


def test_rerecording_unchanged_calls_gives_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "r.json"

    def run(mode: Mode, base_url: str) -> bytes:
        upstream = Upstream(Credentials("sk-test-upstream-0123456789", base_url), 60)
        recorder = Recorder.open(TEST, path, mode, upstream, "")
        with AppEndpoint(recorder) as endpoint:
            client = openai.OpenAI(api_key="unused", base_url=endpoint.base_url)
            client.chat.completions.create(**chat("hi"))  # type: ignore[call-overload]
            list(client.chat.completions.create(**chat("hi"), stream=True))  # type: ignore[call-overload]
            client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
            client.close()
        result = recorder.result(passed=True)
        assert result is not None and not recorder.problems
        write_recording(path, result)
        return path.read_bytes()

    with TestingServer(api_key="sk-test-upstream-0123456789") as server:
        first = run(Mode.RECORD, server.base_url)
        sent = server.stats.requests
        assert run(Mode.RERECORD, server.base_url) == first
        assert server.stats.requests == 2 * sent  # every call was sent again
        assert run(Mode.RECORD, server.base_url) == first
        assert server.stats.requests == 2 * sent  # record sends only what is new
    assert b"sk-test-upstream" not in first
