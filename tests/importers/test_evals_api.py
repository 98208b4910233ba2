"""``evalkit import openai-evals-api``: exported eval and run objects (the API's documented
shape) → a project that passes ``evalkit check``, records against the testing server and
replays green; hostile files are one-line errors with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from evalkit.testing import Rule, Script, TestingServer

from ..conftest import API_KEY
from .support import _fresh_generated_modules, evalkit, parse, run

__all__ = ["_fresh_generated_modules"]

DATA = Path(__file__).parents[1] / "data" / "evals_api"

SCRIPT = Script(
    rules=[
        # the graders first: their prompts also quote the article or summary
        Rule(
            when=["Grade the summary"],
            reply={"steps": [{"description": "read", "conclusion": "faithful"}], "result": 6},
        ),
        Rule(when=["Label the tone"], reply={"steps": [], "result": "neutral"}),
        Rule(when=["charged twice"], reply="billing"),
        Rule(when=["crashes"], reply="technical"),
        Rule(when=["delivery address"], reply="account"),
        Rule(when=["bike lane"], reply="The council approved a Main Street bike lane."),
        Rule(when=["bakery"], reply="A bakery won the bread competition again."),
        Rule(when=["capital of France"], reply="Paris"),
        Rule(when=["red planet"], reply="Mars"),
    ]
)


def import_api(out: Path, name: str, *extra: str) -> int:
    argv = ["import", "openai-evals-api", str(DATA / f"{name}.eval.json")]
    argv += ["--run", str(DATA / f"{name}.run.json"), "--out", str(out), *extra]
    return run(parse(argv))


def record_then_replay(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cases: int
) -> list[dict[str, object]]:
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    with TestingServer(SCRIPT, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "record")
        assert code == 0, text
        bodies = list(server.stats.bodies)
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    code, text = evalkit(out, monkeypatch, capsys, "run")
    assert code == 0, text
    assert f"{cases}/{cases} cases passed" in text
    return bodies


def test_string_check_classification_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "project"
    assert import_api(out, "classify") == 0
    suite = yaml.safe_load((out / "suites/ticket-category.yaml").read_text())
    assert suite["model"] == "gpt-5.4-mini-2026-03-17"
    assert suite["params"] == {
        "seed": 42,
        "temperature": 0.0,
        "max_completion_tokens": 64,
        "top_p": 1.0,
    }
    assert suite["assert"] == [
        {
            "type": "string_check",
            "name": "Match output to human label",
            "input": "{{ sample.output_text }}",
            "reference": "{{ item.label }}",
            "operation": "eq",
        }
    ]
    prompt = (out / "prompts/ticket-category/v1.j2").read_text()
    assert "Ticket: {{ ticket }}" in prompt and '{% message "developer" %}' in prompt
    rows = (out / "suites/cases/ticket-category.jsonl").read_text().splitlines()
    assert json.loads(rows[0])["vars"] == {
        "ticket": "My card was charged twice this month",
        "label": "billing",
    }
    bodies = record_then_replay(out, monkeypatch, capsys, 3)
    first = bodies[0]
    assert first["model"] == "gpt-5.4-mini-2026-03-17" and first["seed"] == 42
    assert first["messages"][1]["content"].startswith("Ticket: ")  # type: ignore[index]


def test_score_and_label_model_with_items_jsonl_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "project"
    code = import_api(out, "judged", "--items", str(DATA / "judged.items.jsonl"))
    assert code == 1  # the run's file_id source is reported
    err = capsys.readouterr().err
    assert "judged.run.json:9: data_source.source is file_id" in err
    assert "GET /v1/files/file-Ue1VHFYj8EZMBtgXtbCNs7/content" in err
    text = (out / "suites/summary-quality.yaml").read_text()
    assert "gpt-4.1-mini-2025-04-14 shuts down on 2027-01-14: try gpt-5.4-mini-2026-03-17" in text
    suite = yaml.safe_load(text)
    kinds = [c["type"] for c in suite["assert"]]
    assert kinds == ["score_model", "label_model"]
    assert suite["assert"][0]["range"] == [1, 7] and suite["assert"][0]["pass_threshold"] == 5
    assert suite["assert"][1]["passing_labels"] == ["neutral"]
    monkeypatch.setenv("EVALKIT_TODAY", "2026-12-03")
    bodies = record_then_replay(out, monkeypatch, capsys, 2)
    graders = [b for b in bodies if b["model"] == "gpt-5.5-2026-04-23"]
    assert len(graders) == 4  # two graders on two cases
    assert any(b.get("seed") == 7 for b in graders)


def test_multi_and_text_similarity_and_what_is_not_carried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "project"
    assert import_api(out, "mixed") == 1
    err = capsys.readouterr().err
    assert "mixed.eval.json:25: testing_criteria[2] (endpoint): grader type 'endpoint'" in err
    assert "mixed.run.json:17: sampling_params.tools are not carried" in err
    text = (out / "suites/answer-match.yaml").read_text()
    assert "allow_unpinned: gpt-5.4-mini can change" in text
    assert "gpt-5.4-mini-2026-03-17" in text  # the pinning hint
    suite = yaml.safe_load(text)
    multi = suite["assert"][1]
    assert multi["type"] == "multi" and set(multi["graders"]) == {"exact", "overlap"}
    assert multi["calculate_output"] == "0.5 * exact + 0.5 * overlap"
    record_then_replay(out, monkeypatch, capsys, 2)


def test_python_grader_renamed_and_unknown_fields_listed(tmp_path: Path) -> None:
    ev = {
        "object": "eval",
        "name": "py",
        "testing_criteria": [
            {
                "type": "python",
                "name": "len",
                "source": "def grade(sample, item):\n    return 1.0\n",
                "pass_threshold": 1,
                "future_field": 3,
            },
            {
                "type": "text_similarity",
                "input": "a",
                "reference": "b",
                "evaluation_metric": "bleu",
            },
        ],
    }
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(ev, indent=1))
    items = tmp_path / "items.jsonl"
    items.write_text('{"input": "hi"}\n')
    out = tmp_path / "out"
    code = run(
        parse(["import", "openai-evals-api", str(path), "--items", str(items), "--out", str(out)])
    )
    assert code == 1
    suite = yaml.safe_load((out / "suites/py.yaml").read_text())
    assert suite["assert"] == [
        {
            "type": "python_grader",
            "name": "len",
            "source": "def grade(sample, item):\n    return 1.0\n",
            "pass_threshold": 1,
        }
    ]
    text = (out / "suites/py.yaml").read_text()
    assert "field 'future_field' is not carried" in text
    assert "testing_criteria[1] (text_similarity): no pass_threshold" in text
    assert "{{ input }}" in (out / "prompts/py/v1.j2").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 10_000 + "]" * 10_000, "nested more than 64 levels deep"),
        ('{"object": "eval.run", "name": "x"}', "expected 'eval'"),
        ('{\n  "name": "x",\n  oops\n}', "eval.json:3"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_bad_eval_files_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "eval.json"
    path.write_text(content)
    out = tmp_path / "out"
    assert run(parse(["import", "openai-evals-api", str(path), "--out", str(out)])) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not out.exists() or not any(out.rglob("*.yaml"))


def test_a_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "eval.json"
    with open(path, "wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: no time spent writing it
    assert run(parse(["import", "openai-evals-api", str(path), "--out", str(tmp_path)])) == 2
    assert "larger than" in capsys.readouterr().err


def test_names_that_become_paths_stay_inside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("classify.eval.json", "classify.run.json"):
        shutil.copy(DATA / name, source / name)
    ev = json.loads((source / "classify.eval.json").read_text())
    ev["name"] = "../../etc/passwd"
    (source / "classify.eval.json").write_text(json.dumps(ev))
    out = tmp_path / "out"
    argv = ["import", "openai-evals-api", str(source / "classify.eval.json")]
    assert run(parse([*argv, "--run", str(source / "classify.run.json"), "--out", str(out)])) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "suites/etc-passwd.yaml" in written and "prompts/etc-passwd/v1.j2" in written
    assert all(not p.startswith("..") for p in written)
    assert not (tmp_path / "etc").exists()


def test_prompt_conversion_keeps_text_literal_and_reports_what_it_cannot_say(
    tmp_path: Path,
) -> None:
    from evalkit.importers.evals_api.objects import Located
    from evalkit.importers.evals_api.prompt import from_reference, from_template
    from evalkit.importers.report import Origin

    run_obj = Located({}, Origin(tmp_path / "run.json", 1))
    template = from_template(
        run_obj,
        ("data_source", "input_messages", "template"),
        [
            {"role": "user", "content": "Use {% raw %} and {{item.a.b}} and {{ item.list[0] }}"},
            {"role": "user", "content": "{{ sample.output_text }}"},
            {"role": "user", "content": [{"type": "input_image", "image_url": "x"}]},
            {"role": "tool", "content": "x"},
        ],
    )
    assert "{{ a.b }}" in template.text and "{{ list[0] }}" in template.text
    assert template.variables == {"a", "list"}
    assert "{% raw %}{% raw %}" not in template.text  # the literal {% is escaped, not live
    whats = [p.what for p in template.problems]
    assert any("sample.output_text" in w and "literal text" in w for w in whats)
    assert any("input_image part is not carried" in w for w in whats)
    assert any("role 'tool'" in w for w in whats)
    looped = from_reference(run_obj, ("data_source", "input_messages"), "item.messages")
    assert looped.text.startswith("{% for m in messages %}") and looped.variables == {"messages"}
    bad = from_reference(run_obj, ("data_source", "input_messages"), "item.a b")
    assert bad.problems and not bad.text
