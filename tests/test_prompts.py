from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.errors import TemplateError
from evalkit.prompts import PromptRef, PromptStore
from evalkit.wire.messages import Message

from .conftest import Project


def store(tmp_path: Path, files: dict[str, str]) -> PromptStore:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return PromptStore(tmp_path)


def test_message_blocks_render_in_order(tmp_path: Path) -> None:
    s = store(
        tmp_path,
        {
            "t/v1.j2": '{% message "system" %}\nBe brief, {{ who }}.\n{% endmessage %}\n{% message "user" %}{{ q }}{% endmessage %}\n'
        },
    )
    assert s.render(PromptRef.parse("t@v1"), {"who": "bot", "q": "Why?"}) == [
        Message("system", "Be brief, bot."),
        Message("user", "Why?"),
    ]


def test_template_without_blocks_is_one_user_message(tmp_path: Path) -> None:
    s = store(tmp_path, {"t/v1.j2": "Summarise: {{ text }}\n"})
    assert s.render(PromptRef.parse("t@v1"), {"text": "abc"}) == [Message("user", "Summarise: abc")]


def test_text_outside_blocks_is_an_error(tmp_path: Path) -> None:
    s = store(tmp_path, {"t/v1.j2": 'stray\n{% message "user" %}x{% endmessage %}\n'})
    with pytest.raises(TemplateError, match="text outside"):
        s.render(PromptRef.parse("t@v1"), {})


def test_strict_undefined_names_template_line_and_variable(tmp_path: Path) -> None:
    s = store(tmp_path, {"t/v1.j2": "line one\nline two {{ missing }}\n"})
    with pytest.raises(TemplateError) as err:
        s.render(PromptRef.parse("t@v1"), {})
    assert err.value.line == 2
    assert err.value.file is not None and err.value.file.endswith("t/v1.j2")
    assert "'missing' is undefined" in str(err.value)
    assert "t@v1" in str(err.value)


@pytest.mark.parametrize(
    "expr",
    [
        "''.__class__.__mro__",
        "().__class__.__base__.__subclasses__()",
        "cycler.__init__.__globals__",
        "x.__globals__",
    ],
)
def test_sandbox_blocks_escapes(tmp_path: Path, expr: str) -> None:
    s = store(tmp_path, {"t/v1.j2": f"{{{{ {expr} }}}}\n"})
    with pytest.raises(TemplateError):
        s.render(PromptRef.parse("t@v1"), {"x": lambda: 1})


def test_prompt_ref_parsing() -> None:
    assert PromptRef.parse("triage@v2") == PromptRef("triage", "v2")
    with pytest.raises(ValueError, match="name@version"):
        PromptRef.parse("triage")


def test_lock_adds_new_versions_and_check_catches_edits(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lock"]) == 0
    lock = project.root / "prompts" / "evalkit.lock"
    assert "triage@v1 sha256:" in lock.read_text()
    assert main(["check"]) == 0

    project.write("prompts/triage/v2.j2", "new {{ body }} {{ company }}\n")
    capsys.readouterr()
    assert main(["lock"]) == 0
    assert "locked triage@v2" in capsys.readouterr().out
    before = lock.read_text()
    assert main(["lock"]) == 0  # idempotent
    assert lock.read_text() == before

    project.write("prompts/triage/v1.j2", "edited {{ body }} {{ company }}\n")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "prompts/evalkit.lock:3: locked prompt triage@v1 changed since it was released" in err
    assert "create v3 instead" in err
    assert main(["lock"]) == 2  # lock refuses to paper over an edit
    assert "changed since it was released" in capsys.readouterr().err
