"""One bounded reader of outside JSON: every reader of a file a pull request can change
goes through evalkit/io/jsonfile.py, and each turns 10,000 nested brackets, ``1e400``,
``NaN`` and a 5,000-digit integer into ``file:line: what is wrong``, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import evalkit
from evalkit.errors import BadJSON, ConfigError, RecordingError
from evalkit.importers.sources import Origin, jsonl_rows, load_structured
from evalkit.io.jsonfile import MAX_DEPTH, deeper_than, loads_bounded, loads_value
from evalkit.project import casefiles, evals_samples
from evalkit.project.recordings import owner_kind, read_recording
from evalkit.results import folder as run_folder
from evalkit.view.load import load_run

DEEP = "[" * 10_000 + "]" * 10_000
JUST_TOO_DEEP = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
BAD = {
    "deep": DEEP,
    "too-deep-but-parsable": JUST_TOO_DEEP,
    "overflow": '{"prompt_tokens": 1e400}',
    "nan": '{"usd": NaN}',
    "huge-int": '{"n": ' + "9" * 5000 + "}",
    "negative-infinity": '{"x": -Infinity}',
}


@pytest.mark.parametrize("kind", BAD)
def test_loads_bounded_names_the_file_and_line(kind: str) -> None:
    with pytest.raises(ConfigError) as caught:
        loads_bounded(BAD[kind], "cases.jsonl", 7, what="this line")
    assert str(caught.value).startswith("cases.jsonl:7: this line ")
    with pytest.raises(BadJSON):
        loads_value(BAD[kind])


def test_within_the_bounds_is_plain_json() -> None:
    text = '{"a": [1, 2.5, -3, "[[[[{{{{", {"b": null}], "c": 1e300}'
    assert loads_bounded(text, "x.json") == json.loads(text)
    edge = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert loads_bounded(edge, "x.json") == json.loads(edge)
    assert not deeper_than(json.loads(edge), MAX_DEPTH)
    assert deeper_than(json.loads(JUST_TOO_DEEP), MAX_DEPTH)


@pytest.mark.parametrize(
    ("text", "within"),
    [
        ('{"n": ' + "9" * 30 + "}", True),  # MAX_INT_DIGITS digits: the last one allowed
        ('{"n": -' + "9" * 30 + "}", True),
        ('{"n": ' + "9" * 31 + "}", False),
        ('{"x": 1e99, "y": 1E-99, "z": 12.5e+3}', True),  # exponents of two digits
        ('{"x": 1e308}', True),  # three digits: checked by the hooks, still finite
        ('{"x": 1e309}', False),
        ('{"x": ' + "9" * 400 + ".5}", False),
        ('{"t": "NaN and Infinity and 1e400 and ' + "9" * 40 + ' are text here"}', True),
        ('{"x": [NaN]}', False),
        ('{"x": Infinity}', False),
    ],
)
def test_numbers_at_the_bounds(text: str, within: bool) -> None:
    """A number out of bounds is refused wherever it is; the same token as text is not a
    number, and any text within the bounds is exactly what json.loads gives."""
    if within:
        assert loads_bounded(text, "x.json") == json.loads(text)
    else:
        with pytest.raises(ConfigError, match=r"^x\.json:1: the text holds"):
            loads_bounded(text, "x.json")


def test_the_line_of_a_number_out_of_range_and_of_a_syntax_error() -> None:
    with pytest.raises(ConfigError, match=r"^f.json:3: the recording holds the number 1e400"):
        loads_bounded('{\n "a": 1,\n "b": 1e400\n}', "f.json", what="the recording")
    with pytest.raises(ConfigError, match=r"^f.json:2: the text is not JSON"):
        loads_bounded('{"a": 1,\n oops}', "f.json")
    with pytest.raises(ConfigError, match="larger than 10 bytes"):
        loads_bounded("[" + "1," * 20 + "1]", "f.json", max_bytes=10)


# -- every reader of outside JSON, fed each bad text ------------------------------------


class _State(BaseModel):
    batches: list[Any] = []


def _run_folder(tmp: Path, name: str, text: str) -> Path:
    folder = tmp / "runs" / "r1"
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _results_line(tmp: Path, text: str) -> Any:
    folder = _run_folder(tmp, "results.jsonl", text + "\n")
    return run_folder.latest_results(folder)  # no readable result: an error naming the file


def _view(tmp: Path, text: str) -> Any:
    folder = _run_folder(tmp, "results.jsonl", text + "\n")
    (folder / "run.json").write_text(text)
    run = load_run(folder)
    reasons = [s.reason for s in run.view.skipped] + run.view.notes
    assert any(re.search("nested more than|out of range|not a JSON number", r) for r in reasons)
    raise ConfigError("; ".join(reasons), folder / "results.jsonl", 1)


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


READERS: dict[str, tuple[Callable[[Path, str], Any], str]] = {
    # name: (read the bad text as that reader, the file the error must name)
    "run.json": (lambda t, x: run_folder.read_meta(_run_folder(t, "run.json", x)), "run.json"),
    "batches.json": (
        lambda t, x: run_folder.read_batches(_run_folder(t, "batches.json", x), _State),
        "batches.json",
    ),
    "results.jsonl": (_results_line, "results.jsonl"),
    "viewer": (_view, "results.jsonl"),
    "recording": (lambda t, x: read_recording(_write(t, "rec.json", x)), "rec.json"),
    "recording owner": (lambda t, x: owner_kind(_write(t, "rec.json", x)), "rec.json"),
    "cases_from jsonl": (
        lambda t, x: casefiles.jsonl_rows(_write(t, "c.jsonl", '{"id": "a"}\n' + x)),
        "c.jsonl:2",
    ),
    "cases_from csv assert": (
        lambda t, x: casefiles.csv_rows(_write(t, "c.csv", "id,assert\na," + json.dumps(x))),
        "c.csv:2",
    ),
    "openai-evals samples": (
        lambda t, x: evals_samples.read_samples(_write(t, "s.jsonl", x)),
        "s.jsonl:1",
    ),
    "promptfoo tests: file://x.json": (
        lambda t, x: load_structured(_write(t, "t.json", x), Origin(t / "c.yaml", 3)),
        "t.json",
    ),
    "promptfoo tests: file://x.jsonl": (
        lambda t, x: jsonl_rows(_write(t, "t.jsonl", x), Origin(t / "c.yaml", 3)),
        "t.jsonl:1",
    ),
}


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_unbounded_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str, kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    read, where = READERS[reader]
    with pytest.raises(ConfigError) as caught:
        read(tmp_path, BAD[kind])
    assert f"{where}: " in str(caught.value) or f"{where}:" in str(caught.value), caught.value
    if reader.startswith("recording"):
        assert isinstance(caught.value, RecordingError)


def test_the_spend_log_skips_what_it_cannot_bound(tmp_path: Path) -> None:
    lines = [BAD[k] for k in BAD] + ['{"usd": 0.25}']
    folder = _run_folder(tmp_path, "spend.jsonl", "\n".join(lines) + "\n")
    assert run_folder.spent_in(folder) == 0.25


# Modules that still call json.load(s): each reads only what evalkit itself wrote in the
# same process (or the testing server's own request bodies), never a file from outside.
INTERNAL = {
    "evalkit/project/caselist.py",  # rows it serialised itself a moment earlier
    "evalkit/importers/sources.py",  # json.loads(json.dumps(...)) to make data plain
    "evalkit/checks/graders/sandbox.py",  # its own child process's protocol
    "evalkit/runs/forked.py",  # its own helper processes' snapshot state
    "evalkit/testing/server.py",
    "evalkit/testing/batches.py",
}


def test_no_other_module_parses_json_unbounded() -> None:
    root = Path(evalkit.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        rel = "evalkit/" + path.relative_to(root).as_posix()
        if rel == "evalkit/io/jsonfile.py":
            continue
        if re.search(r"\bjson\.loads?\(", path.read_text(encoding="utf-8")):
            found.add(rel)
    assert found <= INTERNAL, f"parse outside JSON with evalkit.io.jsonfile: {found - INTERNAL}"
