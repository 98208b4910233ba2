"""``evalkit import openai-evals``: samples.jsonl → a suite that checks, records and replays,
and agrees with a suite reading the same samples directly (``cases_from``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalkit.importers.openai_evals import GENERIC_TEMPLATE
from evalkit.testing import Rule, Script, TestingServer

from ..conftest import API_KEY
from .support import _fresh_generated_modules, evalkit, parse, run

__all__ = ["_fresh_generated_modules"]

SYSTEM = "You are a geography quiz. Answer with the city name only."
SAMPLES = [
    {
        "input": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Capital of France?"},
        ],
        "ideal": "Paris",
    },
    {
        "input": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Capital of Japan?"},
        ],
        "ideal": ["Tokyo", "Tōkyō"],
    },
    {
        "input": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Capital of Peru?"},
        ],
        "ideal": "Lima",
    },
]
QUIZ = Script(
    rules=[
        Rule(when=["France"], reply="Paris"),
        Rule(when=["Japan"], reply="Tokyo"),
        Rule(when=["Peru"], reply="Lima"),
    ]
)


def write_samples(path: Path, samples: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    return path


def import_samples(samples: Path, out: Path, *extra: str) -> int:
    return run(
        parse(
            ["import", "openai-evals", str(samples), "--suite", "quiz", "--out", str(out), *extra]
        )
    )


def test_import_check_record_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = write_samples(tmp_path / "samples.jsonl", SAMPLES)
    out = tmp_path / "project"
    assert import_samples(samples, out) == 0
    template = (out / "prompts/quiz/v1.j2").read_text()
    assert template == (
        f'{{% message "system" %}}\n{SYSTEM}\n{{% endmessage %}}\n'
        '{% message "user" %}\n{{ user }}\n{% endmessage %}\n'
    )
    suite = yaml.safe_load((out / "suites/quiz.yaml").read_text())
    assert suite == {
        "suite": "quiz",
        "prompt": "quiz@v1",
        "model": "gpt-5.4-mini-2026-03-17",
        "params": {"temperature": 0},
        "cases": [{"cases_from": "cases/quiz.jsonl"}],
    }
    rows = [json.loads(line) for line in (out / "suites/cases/quiz.jsonl").read_text().splitlines()]
    assert rows[0]["vars"] == {"user": "Capital of France?"}
    assert rows[0]["assert"] == [{"type": "equals", "value": "Paris"}]
    assert rows[1]["assert"] == [{"type": "one_of", "values": ["Tokyo", "Tōkyō"]}]
    assert rows[0]["id"].startswith("capital-of-france-")
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    with TestingServer(QUIZ, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
        assert code == 0, text
        body = server.stats.bodies[0]
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    code, text = evalkit(out, monkeypatch, capsys, "run")
    assert code == 0, text
    assert "3/3 cases passed" in text


def test_includes_mode_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = write_samples(
        tmp_path / "samples.jsonl",
        [{"input": "Name a primary color.", "ideal": ["red", "blue", "yellow"]}],
    )
    out = tmp_path / "project"
    assert import_samples(samples, out, "--match", "includes", "--model", "gpt-4o-mini") == 0
    suite_text = (out / "suites/quiz.yaml").read_text()
    assert (
        "allow_unpinned: true" in suite_text
        and "# allow_unpinned: gpt-4o-mini is an alias" in suite_text
    )
    assert (
        out / "prompts/quiz/v1.j2"
    ).read_text() == '{% message "system" %}\n{{ system }}\n{% endmessage %}\n'
    with TestingServer(
        Script(rules=[Rule(when=["primary"], reply="I would say blue.")]), api_key=API_KEY
    ) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
    assert code == 0, text


def test_samples_of_different_shapes_use_the_messages_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = write_samples(
        tmp_path / "samples.jsonl",
        [
            {"input": [{"role": "user", "content": "Capital of France?"}], "ideal": "Paris"},
            {
                "input": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Capital of Japan?"},
                ],
                "ideal": "Tokyo",
            },
        ],
    )
    out = tmp_path / "project"
    assert import_samples(samples, out) == 0
    assert (out / "prompts/quiz/v1.j2").read_text() == GENERIC_TEMPLATE
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    with TestingServer(QUIZ, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
        messages = [b["messages"] for b in server.stats.bodies]
    assert code == 0, text
    assert {"role": "system", "content": "Be brief."} in [m for ms in messages for m in ms]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"input": "x"}'], "samples.jsonl:1: a sample is"),
        (
            ['{"input": "x", "ideal": "y"}', "not json"],
            "samples.jsonl:2: this line is not JSON",
        ),
        (['{"input": 5, "ideal": "y"}'], "samples.jsonl:1: `input` must be a string or a list"),
        (
            ['{"input": [{"role": "tool", "content": "x"}], "ideal": "y"}'],
            "samples.jsonl:1: input message role 'tool'",
        ),
        ([""], "holds no samples"),
    ],
)
def test_bad_samples_exit_2_with_the_line(
    lines: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text("\n".join(lines) + "\n")
    assert import_samples(samples, tmp_path / "project") == 2
    assert message in capsys.readouterr().err


def test_name_fields_are_reported_as_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = {
        "input": [
            {"role": "system", "content": "Q: 1+1", "name": "example_user"},
            {"role": "user", "content": "Q: 2+2"},
        ],
        "ideal": "4",
    }
    assert import_samples(write_samples(tmp_path / "samples.jsonl", [sample]), tmp_path / "p") == 0
    assert (
        "message `name` fields (few-shot example_user/example_assistant) are dropped"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("explicit", [False, True])
def test_a_suite_reads_samples_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, explicit: bool
) -> None:
    """`cases_from` takes an openai/evals samples file as it is: told by its content, or
    by `format: openai-evals` (with `match` for how `ideal` is checked)."""
    from evalkit.cli.main import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    (tmp_path / "prompts" / "quiz").mkdir(parents=True)
    (tmp_path / "prompts" / "quiz" / "v1.j2").write_text(GENERIC_TEMPLATE)
    (tmp_path / "suites").mkdir()
    write_samples(tmp_path / "suites" / "samples.jsonl", SAMPLES)
    source = (
        "{cases_from: samples.jsonl, format: openai-evals, match: starts_with}"
        if explicit
        else "{cases_from: samples.jsonl}"
    )
    (tmp_path / "suites" / "quiz.yaml").write_text(
        "prompt: quiz@v1\nmodel: gpt-5.4-mini-2026-03-17\nparams: {temperature: 0}\n"
        f"cases:\n  - {source}\n"
    )
    with TestingServer(QUIZ, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["record"]) == 0
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert main(["run"]) == 0
    from evalkit import load_suite

    suite = load_suite(tmp_path / "suites" / "quiz.yaml")
    kinds = {a.type for c in suite.cases for a in c.asserts}
    assert ("starts_with" in kinds) is explicit and len(suite.cases) == 3


def test_shared_messages_are_template_text_and_template_marks_stay_text(
    tmp_path: Path,
) -> None:
    shared = "Answer like {{ this }} and {% that %}."
    samples = write_samples(
        tmp_path / "s.jsonl",
        [
            {
                "input": [{"role": "system", "content": shared}, {"role": "user", "content": q}],
                "ideal": a,
            }
            for q, a in (("2+2?", "4"), ("3+3?", "6"))
        ],
    )
    out = tmp_path / "project"
    assert import_samples(samples, out) == 0
    template = (out / "prompts/quiz/v1.j2").read_text()
    assert "{% raw %}Answer like {{ this }} and {% that %}.{% endraw %}" in template
    assert "{{ user }}" in template
    from evalkit.prompts import PromptRef, PromptStore

    (system, user) = PromptStore(out / "prompts").render(PromptRef("quiz", "v1"), {"user": "2+2?"})
    assert (system.role, system.content) == ("system", shared)  # the text, not a template
    assert (user.role, user.content) == ("user", "2+2?")


def test_an_alias_model_is_marked_unpinned_and_a_bad_suite_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = write_samples(tmp_path / "s.jsonl", SAMPLES[:1])
    out = tmp_path / "project"
    assert import_samples(samples, out, "--model", "gpt-4.1-mini") == 0
    suite = (out / "suites/quiz.yaml").read_text()
    assert "allow_unpinned: true" in suite and "is an alias that can change" in suite
    code = run(
        parse(
            [
                "import",
                "openai-evals",
                str(samples),
                "--suite",
                "!!!",
                "--out",
                str(tmp_path / "o2"),
            ]
        )
    )
    assert code == 2
    assert "--suite '!!!': give a name with letters or digits" in capsys.readouterr().err
