"""project/recordings.py in process: a recording is untrusted input (a usage that is not
token counts, a body without its list, is an error naming the place), the store round-trips
answers and keeps an unchanged file byte for byte, images are recorded by their hash, and
an owner marker names a test that is looked up safely inside the project."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import RecordingError
from evalkit.project.recordings import (
    MAX_TOKENS,
    Owner,
    OwnerMark,
    RecordingStore,
    app_recordings,
    owner_kind,
    owning_test_exists,
    read_recording,
    without_images,
)
from evalkit.wire.request import Request
from evalkit.wire.response import Response

OWNER = Owner("triage", "refund-1")


def request(text: str = "hi", sample: int = 0) -> Request:
    return Request(
        endpoint="chat.completions",
        body={"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": text}]},
        sample=sample,
    )


def answer(text: str = "hello", **extra: Any) -> Response:
    body = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2},
        "model": "gpt-4.1-mini-2025-04-14",
    }
    return Response(endpoint="chat.completions", body=body, **extra)


def recording(tmp_path: Path, usage: Any = None, response: Any = None) -> Path:
    entry = {
        "request": {"endpoint": "chat.completions", "body": {"model": "m"}},
        "response": response if response is not None else {"choices": [], "usage": usage},
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"interactions": {"k": entry}}), encoding="utf-8")
    return path


# -- reading a recording -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "problem"),
    [
        ([1, 2], "usage must be an object of token counts, not list"),
        ({"prompt_tokens": -1}, "usage.prompt_tokens must be a whole number"),
        ({"prompt_tokens": 1.5}, "usage.prompt_tokens must be a whole number"),
        ({"completion_tokens": True}, "usage.completion_tokens must be a whole number"),
        ({"total_tokens": "12"}, "usage.total_tokens must be a whole number"),
        ({"output_tokens": MAX_TOKENS + 1}, "usage.output_tokens must be a whole number"),
        (
            {"prompt_tokens_details": {"cached_tokens": -3}},
            "usage.prompt_tokens_details.cached_tokens",
        ),
    ],
)
def test_a_usage_that_is_not_token_counts_is_refused(
    tmp_path: Path, usage: Any, problem: str
) -> None:
    with pytest.raises(RecordingError) as raised:
        read_recording(recording(tmp_path, usage))
    message = raised.value.message
    assert message.startswith("malformed recording at interactions.k.response")
    assert problem in message and message.endswith("; re-record this case")


def test_counts_at_their_bounds_and_unknown_keys_are_read(tmp_path: Path) -> None:
    usage = {"prompt_tokens": 0, "completion_tokens": MAX_TOKENS, "note": "kept", "x": -1}
    found = read_recording(recording(tmp_path, usage))
    assert found.interactions["k"].response["usage"] == usage


def test_a_body_without_its_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        RecordingError, match=r"a chat\.completions response needs a 'choices' list"
    ):
        read_recording(recording(tmp_path, response={"choices": "nope"}))


@pytest.mark.parametrize(
    "text", ["[]", "{}", '{"interactions": []}', "{oops", '{"interactions": {"k": {}}}']
)
def test_a_file_that_is_not_a_recording_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordingError):
        read_recording(path)


def test_a_negative_latency_or_sample_is_refused(tmp_path: Path) -> None:
    entry = {
        "request": {"endpoint": "chat.completions", "body": {}, "sample": -1},
        "response": {"choices": []},
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"interactions": {"k": entry}}))
    with pytest.raises(RecordingError, match="sample"):
        read_recording(path)


# -- the store --------------------------------------------------------------------------------


def test_an_answer_put_is_got_back_replayed_after_a_save(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(), answer(request_id="req_1", latency_ms=12.345, source="api"))
    assert store.forget(OWNER) is None
    again = RecordingStore(tmp_path).get(OWNER, request())
    assert again is not None and again.replayed and again.text == "hello"
    assert (again.request_id, again.latency_ms, again.source) == ("req_1", 12.3, "api")
    assert RecordingStore(tmp_path).get(OWNER, request("other")) is None


def test_samples_of_one_request_are_recorded_apart(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(sample=0), answer("zero"))
    store.put(OWNER, request(sample=1), answer("one"))
    store.save(OWNER)
    fresh = RecordingStore(tmp_path)
    assert fresh.get(OWNER, request(sample=0)).text == "zero"  # type: ignore[union-attr]
    assert fresh.get(OWNER, request(sample=1)).text == "one"  # type: ignore[union-attr]


def test_the_same_answer_again_keeps_the_file_byte_for_byte(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(), answer(request_id="req_1", latency_ms=10))
    path = store.save(OWNER)
    assert path is not None
    before = path.read_bytes()
    again = RecordingStore(tmp_path)
    again.put(OWNER, request(), answer(request_id="req_2", latency_ms=99))  # same body
    assert again.save(OWNER) is None  # nothing changed: not written
    assert path.read_bytes() == before


def test_a_reused_answer_never_replaces_the_cases_own(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(), answer("mine"))
    store.put(OWNER, request(), answer("borrowed", reused=True))
    assert store.get(OWNER, request()).text == "mine"  # type: ignore[union-attr]


def test_a_new_purpose_for_the_same_answer_is_saved(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(), answer())
    store.save(OWNER)
    store.put(OWNER, request(), answer(), purpose="judge")
    path = store.save(OWNER)
    assert path is not None
    [entry] = json.loads(path.read_text())["interactions"].values()
    assert entry["purpose"] == "judge"


def test_keep_only_drops_what_is_not_asked_for(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    for text in ("a", "b", "c"):
        store.put(OWNER, request(text), answer(text))
    assert store.keep_only(OWNER, {request("b").key}) == 2
    assert list(store.entries(OWNER)) == [request("b").key]
    assert store.keep_only(OWNER, {request("b").key}) == 0


def test_the_saved_file_is_sorted_and_names_its_owner(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.mark(OWNER, OwnerMark(owner="test", test="tests/test_app.py::test_reply"))
    for text in ("z", "a", "m"):
        store.put(OWNER, request(text), answer(text))
    path = store.save(OWNER)
    assert path == tmp_path / "triage" / "refund-1.json"
    data = json.loads(path.read_text())
    assert (data["suite"], data["case"], data["owner"]) == ("triage", "refund-1", "test")
    assert data["test"] == "tests/test_app.py::test_reply"
    assert list(data["interactions"]) == sorted(data["interactions"])
    entry = next(iter(data["interactions"].values()))
    assert "sample" not in entry["request"] and "ttft_ms" not in entry and "purpose" not in entry


def test_a_case_named_like_a_path_stays_in_the_folder(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "recordings")
    owner = Owner("../suite", "../../case")
    store.put(owner, request(), answer())
    path = store.save(owner)
    assert path is not None
    assert path.resolve().is_relative_to((tmp_path / "recordings").resolve())


def test_a_save_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "triage").write_text("a file where the suite's folder goes")
    store = RecordingStore(tmp_path)
    store.put(OWNER, request(), answer())
    problem = store.forget(OWNER)
    assert problem is not None and problem.startswith("the recording could not be saved to")
    assert store.forget(OWNER) is None  # not retried forever


# -- images ----------------------------------------------------------------------------------


def test_images_are_recorded_by_their_hash() -> None:
    data = b"\x89PNG fake bytes"
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    body = {"messages": [{"content": [{"type": "image_url", "image_url": {"url": url}}, "text"]}]}
    recorded = without_images(body)
    digest = hashlib.sha256(data).hexdigest()
    assert recorded["messages"][0]["content"][0]["image_url"]["url"] == f"image/png sha256:{digest}"
    assert recorded["messages"][0]["content"][1] == "text"
    assert body["messages"][0]["content"][0]["image_url"]["url"] == url  # not edited in place


def test_text_that_is_not_a_data_url_is_kept() -> None:
    for value in ("data:text/plain;base64,aGk=", "see data:image/png;base64,xx", 3, None):
        assert without_images(value) == value


# -- owner markers ---------------------------------------------------------------------------


def test_an_owner_marker_is_read_or_refused() -> None:
    assert owner_kind({}) == OwnerMark()
    assert owner_kind({"owner": "test", "test": "t.py::f"}).test == "t.py::f"
    with pytest.raises(RecordingError, match='"owner" marker'):
        owner_kind({"owner": "someone"})
    with pytest.raises(RecordingError, match="not a JSON object"):
        owner_kind([])  # type: ignore[arg-type]


def test_an_owner_marker_is_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"owner": "test", "test": "t.py::f", "interactions": {}}))
    assert owner_kind(path) == OwnerMark(owner="test", test="t.py::f")
    path.write_text("{torn")
    with pytest.raises(RecordingError):
        owner_kind(path)


def test_a_mark_fields_only_for_a_test() -> None:
    assert OwnerMark().fields() == {}
    assert OwnerMark(owner="test").fields() == {"owner": "test", "test": ""}


def test_the_owning_test_is_found_by_its_definition(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(
        "def test_reply():\n    pass\n\nclass TestX:\n    async def test_async(self):\n        pass\n"
        "# def test_commented(): a comment is not a definition\n"
    )
    assert owning_test_exists(tmp_path, "tests/test_app.py::test_reply") is True
    assert owning_test_exists(tmp_path, "tests/test_app.py::test_reply[param-1]") is True
    assert owning_test_exists(tmp_path, "tests/test_app.py::TestX::test_async") is True
    assert owning_test_exists(tmp_path, "tests/test_app.py::test_gone") is False
    assert owning_test_exists(tmp_path, "tests/test_app.py::test_commented") is False
    assert owning_test_exists(tmp_path, "tests/missing.py::test_reply") is False


@pytest.mark.parametrize("name", [None, "", "no separator", "file.txt::test_x", "t.py::9bad"])
def test_a_marker_that_cannot_be_read_keeps_its_files(tmp_path: Path, name: str | None) -> None:
    assert owning_test_exists(tmp_path, name) is None


def test_a_marker_pointing_outside_the_project_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text("def test_x():\n    pass\n")
    (tmp_path / "project").mkdir()
    assert owning_test_exists(tmp_path / "project", "../outside.py::test_x") is None


def test_app_recordings_are_the_files_under_app_folders(tmp_path: Path) -> None:
    assert app_recordings(tmp_path) == []
    (tmp_path / "app" / "tests").mkdir(parents=True)
    (tmp_path / "app" / "top.json").write_text("{}")  # not under a test's folder
    (tmp_path / "app" / "tests" / "b.json").write_text("{}")
    (tmp_path / "app" / "tests" / "a.json").write_text("{}")
    (tmp_path / "app" / "tests" / "notes.txt").write_text("x")
    assert [p.name for p in app_recordings(tmp_path)] == ["a.json", "b.json"]
