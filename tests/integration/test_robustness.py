"""Generated mutations of a valid, recorded project, tried as a hostile user would.

Every field of the suite gets wrong types and out-of-range values; every file family
(suite, case files, templates, the lock, pyproject, recordings, schemas) is truncated,
mis-encoded and malformed. Each broken project goes through `evalkit check` and `evalkit
run` (and a sample of them through `pytest --evalkit`), and none may:

- print a traceback,
- exit 0 (a broken input never passes), or
- exit with anything but 2 for bad input, naming the file it came from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import API_KEY, RULES, make_project

SUITE = "suites/triage.yaml"
FIELDS_SUITE = """suite: triage
prompt: triage@v1
model: gpt-4.1-mini-2025-04-14
params: {temperature: 0, max_tokens: 200}
schema: schemas.triage:Ticket
vars: {company: Acme}
budget: {input_tokens: 1000, output_tokens: 200, cost_usd: 0.01, latency_ms: 60000}
repeat: 1
case_threshold: 1.0
threshold: 1.0
assert:
  - schema
  - {type: contains, path: summary, value: a, ignore_case: true}
cases:
  - id: refund
    vars: {body: "I was charged twice, refund please"}
    expect: {category: billing}
  - id: outage
    vars: {body: "The site is down"}
    expect: {category: technical, urgency: high}
  - cases_from: cases/more.jsonl
  - cases_from: cases/more.csv
variants:
  v2: {model: gpt-4.1-2025-04-14}
"""
JSONL = '{"id": "j1", "vars": {"body": "charged twice"}, "expect": {"category": "billing"}}\n'
CSV = 'id,body,expect.category\nc1,"The site is down",technical\n'
WRONG = {"int": "5", "list": "[1, 2]", "map": "{a: 1}", "null": "null", "text": "'word'"}
VALID = {
    ("suite", "int"),  # a suite named 5
    ("suite", "text"),
    ("suite", "null"),  # the file's stem
    ("params", "map"),  # params go to the API as given
    ("budget", "null"),  # no budget
    ("variants", "map"),  # `a: 1` is a variant with a bad value: covered below
    ("repeat", "int"),  # five samples: valid, only unrecorded
}


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # the file the error must name
    apply: Callable[[Path], None]


def _write(rel: str, text: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return apply


def _suite_line(key: str, value: str) -> Callable[[Path], None]:
    """Replace the value of a top-level suite field."""

    def apply(root: Path) -> None:
        lines = FIELDS_SUITE.splitlines()
        out = [f"{key}: {value}" if line.startswith(f"{key}:") else line for line in lines]
        if key == "cases":
            at = out.index(f"cases: {value}")
            out = [*out[: at + 1], *[x for x in out[at + 1 :] if not x.startswith("  ")]]
        (root / SUITE).write_text("\n".join(out) + "\n")

    return apply


def _edit(rel: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.write_text(edit(path.read_text()))

    return apply


def _truncate(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        data = path.read_bytes()
        path.write_bytes(data[: max(len(data) // 2, 1)])

    return apply


def _misencode(rel: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"e", b"\xe9", 3) + b"\xff")

    return apply


def mutations() -> list[Mutation]:
    out: list[Mutation] = []
    top = [
        line.split(":")[0]
        for line in FIELDS_SUITE.splitlines()
        if line and not line.startswith((" ", "-", "#"))
    ]
    for key in top:
        for kind, value in WRONG.items():
            if (key, kind) in VALID:
                continue  # a wrong-looking value that is a fine value
            if key == "variants" and kind == "map":
                continue  # {a: 1} is a variant named `a` with an error inside: covered below
            out.append(Mutation(f"{key}-{kind}", SUITE, _suite_line(key, value)))
    for key, value in [
        ("repeat", "0"),
        ("repeat", "1000000000"),
        ("threshold", "1.5"),
        ("threshold", "-0.1"),
        ("case_threshold", "2"),
        ("threshold", ".nan"),
        ("model", "gpt-4.1-mini"),
        ("prompt", "../outside@v1"),
        ("prompt", "triage@v9"),
        ("schema", "schemas.triage:Nope"),
        ("schema", "nomodule:Ticket"),
        ("budget", "{cost_usd: -1}"),
        ("budget", "{latency_ms: .inf}"),
        ("variants", "{base: {model: gpt-4.1-2025-04-14}}"),
        ("variants", "{v2: {temperature: 1}}"),
    ]:
        out.append(Mutation(f"{key}={value}", SUITE, _suite_line(key, value)))
    for name, assertion in [
        ("weight-negative", "{type: contains, value: x, weight: -1}"),
        ("weight-text", "{type: contains, value: x, weight: heavy}"),
        ("threshold-unscored", "{type: contains, value: x, threshold: 0.2}"),
        ("type-list", "{type: [contains], value: x}"),
        ("type-missing", "{value: x}"),
        ("arg-wrong-type", "{type: length, min: many}"),
        ("arg-unknown", "{type: equals, value: 1, vlaue: 2}"),
        ("path-int", "{type: contains, path: 5, value: x}"),
        ("regex-bad", "{type: regex, pattern: '(('}"),
        ("not-text", "{type: contains, value: x, not: maybe}"),
        ("judge-unpinned", "{type: judge, rubric: r, model: gpt-4.1}"),
        ("python-missing", "{type: python, fn: 'nomodule:f'}"),
    ]:
        out.append(
            Mutation(
                f"assert-{name}",
                SUITE,
                _edit(
                    SUITE,
                    lambda s, a=assertion: s.replace("  - schema\n", f"  - schema\n  - {a}\n"),
                ),
            )
        )
    for rel in (SUITE, "suites/cases/more.jsonl", "suites/cases/more.csv", "prompts/triage/v1.j2"):
        out.append(Mutation(f"misencoded-{rel}", rel, _misencode(rel)))
    entries: list[tuple[str, ...]] = [
        (SUITE, "cases: [\n"),
        (SUITE, "- just\n- a list\n", "suites"),  # a list is a cases file: no suite left
        (SUITE, "a: &a [1]\nb: *b\n"),
        ("suites/cases/more.jsonl", '{"id": "x", "vars": [1]}\n'),
        ("suites/cases/more.jsonl", '{"id": "x"\n'),
        ("suites/cases/more.jsonl", "[1, 2]\n"),
        ("suites/cases/more.jsonl", "", SUITE),  # the suite's cases_from line says why
        ("suites/cases/more.csv", "id,body\nc2\n"),
        ("suites/cases/more.csv", 'id,body\nc2,"never closed\n'),
        ("suites/cases/more.csv", "id,body,assert\nc2,x,not json\n"),
        ("prompts/triage/v1.j2", "{% message 'user' %}{{ body }\n"),
        ("prompts/triage/v1.j2", '{% message "boss" %}{{ body }}{% endmessage %}\n'),
        ("prompts/triage/v1.j2", "{{ missing_variable }}\n"),
        ("prompts/evalkit.lock", "triage@v1\n"),
        ("prompts/evalkit.lock", "triage@v1 sha256:00\n"),
        ("pyproject.toml", "[tool.evalkit]\nconcurrency = 'many'\n"),
        ("pyproject.toml", "[tool.evalkit]\nconcurrency = 0\n"),
        ("pyproject.toml", "[tool.evalkit]\nmode = 'sometimes'\n"),
        ("pyproject.toml", "[tool.evalkit]\nprices = 5\n"),
        ("pyproject.toml", "[tool.evalkit]\nservers = {'x-*' = {base_url = 'nope'}}\n"),
        ("pyproject.toml", "[tool.evalkit\n"),
        ("pyproject.toml", "tool = 5\n"),
        ("schemas/triage.py", "class Ticket(:\n"),
        ("schemas/triage.py", "raise RuntimeError('boom')\n", SUITE),  # its schema: line
    ]
    for rel, text, *where in entries:
        out.append(
            Mutation(f"malformed-{rel}-{len(out)}", where[0] if where else rel, _write(rel, text))
        )
    recording = "snapshots/recordings/triage/refund.json"
    out += [
        Mutation("recording-truncated", recording, _truncate(recording)),
        Mutation("recording-misencoded", recording, _misencode(recording)),
        Mutation("recording-list", recording, _write(recording, "[]")),
        Mutation(
            "recording-wrong-types",
            recording,
            _edit(
                recording, lambda s: s.replace('"latency_ms": ', '"latency_ms": "slow", "x": ', 1)
            ),
        ),
        Mutation(
            "recording-no-choices",
            recording,
            _edit(recording, lambda s: s.replace('"choices"', '"choicez"', 1)),
        ),
    ]
    return out


MUTATIONS = mutations()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid project, recorded once for the whole module."""
    root = tmp_path_factory.mktemp("valid")
    project = make_project(root)
    project.write(SUITE, FIELDS_SUITE)
    project.write("suites/cases/more.jsonl", JSONL)
    project.write("suites/cases/more.csv", CSV)
    mp = pytest.MonkeyPatch()
    with TestingServer(RULES, api_key=API_KEY) as server:
        mp.chdir(root)
        mp.setenv("OPENAI_BASE_URL", server.base_url)
        mp.setenv("OPENAI_API_KEY", API_KEY)
        mp.delenv("EVALKIT_MODE", raising=False)
        code = main(["record", "--all-variants"])
        assert main(["lock"]) == 0
    mp.undo()
    assert code in (0, 1)  # "a" is not in every summary: some cases fail, the project is valid
    return root


@pytest.fixture
def broken(recorded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "p"
    shutil.copytree(recorded, root, ignore=shutil.ignore_patterns(".evalkit", "__pycache__"))
    monkeypatch.chdir(root)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "EVALKIT_MODE"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_the_valid_project_checks_clean(broken: Path) -> None:
    assert main(["check", "--strict"]) == 0


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_broken_input_is_exit_2_with_its_file(
    broken: Path, capsys: pytest.CaptureFixture[str], mutation: Mutation
) -> None:
    import sys

    for name in [n for n in sys.modules if n.split(".")[0] == "schemas"]:
        del sys.modules[name]
    mutation.apply(broken)
    commands = [["check"]] if "evalkit.lock" in mutation.file else [["check"], ["run"]]
    for command in commands:  # a run does not read the lock: `evalkit check` guards it
        code = main(command)
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert "Traceback" not in text, (command, text)
        assert code == 2, (command, code, text[-800:])
        assert f"{mutation.file}:" in captured.err or f"{mutation.file}" in captured.err, (
            command,
            captured.err[-800:],
        )


SAMPLE = [
    m
    for m in MUTATIONS
    if m.name.startswith(("malformed", "misencoded", "recording"))
    and "pyproject" not in m.name  # pytest reads pyproject.toml itself, before evalkit
][::4]


@pytest.mark.parametrize("mutation", SAMPLE, ids=[m.name for m in SAMPLE])
def test_broken_input_under_pytest(
    broken: Path, pytester: pytest.Pytester, mutation: Mutation
) -> None:
    mutation.apply(broken)
    result = pytester.runpytest("--evalkit", str(broken / "suites"), "-p", "no:cacheprovider")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, out[-1500:]
    assert "Traceback" not in out and mutation.file in out, out[-1500:]


def test_mutations_cover_every_file_family() -> None:
    families = {m.file.split("/")[0] if "/" in m.file else m.file for m in MUTATIONS}
    assert families >= {"suites", "prompts", "pyproject.toml", "snapshots", "schemas"}
    assert len(MUTATIONS) > 60
    assert json.loads(json.dumps([m.name for m in MUTATIONS]))
