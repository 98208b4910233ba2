"""``{{ var }}`` inside promptfoo JavaScript → ``context.vars.var`` where it means what the
rendered code meant; everything else left out with the reason."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks import Observation, evaluate
from evalkit.config import load_settings
from evalkit.importers.promptfoo.assertions.jstemplates import TemplateLeftOut, carry
from evalkit.project.loader import parse_assertions

HERE = Path(__file__)

VARS: dict[str, Any] = {
    "city": "Paris",
    "n": 5,
    "x": 0.25,
    "neg": -2,
    "flag": True,
    "quote": "O'Brien",
    "dq": 'say "hi"',
    "slash": "a\\b",
    "tick": "a`b",
    "lines": "a\nb",
    "items": ["a", "b"],
    "empty": None,
}


@pytest.mark.parametrize(
    ("code", "carried", "rendered"),
    [
        ("output.includes('x')", "output.includes('x')", "output.includes('x')"),
        (
            "output.includes('{{ city }}')",
            "output.includes(context.vars.city)",
            "output.includes('Paris')",
        ),
        (
            'output.includes("{{city}}")',
            "output.includes(context.vars.city)",
            'output.includes("Paris")',
        ),
        (
            "output === 'Dear {{ city }}!'",
            "output === ('Dear ' + context.vars.city + '!')",
            "output === 'Dear Paris!'",
        ),
        (
            'output.includes("{{ quote }}")',
            "output.includes(context.vars.quote)",
            'output.includes("O\'Brien")',
        ),
        (
            "output.includes('{{ dq }}')",
            "output.includes(context.vars.dq)",
            "output.includes('say \"hi\"')",
        ),
        ("output.includes('{{ n }}')", "output.includes(String(context.vars.n))", None),
        ("output.length <= {{ n }}", "output.length <= context.vars.n", None),
        ("Number(output) < {{ x }}", "Number(output) < context.vars.x", None),
        ("{{ flag }}", "context.vars.flag", None),
        ("output === `Hi {{ city }}`", "output === `Hi ${context.vars.city}`", None),
        (
            "// checks {{ city }}\nreturn output.includes('{{ city }}')",
            "// checks context.vars.city\nreturn output.includes(context.vars.city)",
            "// checks \nreturn output.includes('Paris')",
        ),
        (
            "const max = {{ n }}; output.length <= max",
            "const max = context.vars.n; output.length <= max",
            None,
        ),
    ],
)
def test_templates_carried(code: str, carried: str, rendered: str | None) -> None:
    result = carry(code, VARS)
    assert (result.code, result.rendered) == (carried, rendered)
    assert "{{" not in result.code


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("output.includes('{{ city | upper }}')", "a filter or an expression"),
        ("output.includes('{{ city.name }}')", "a filter or an expression"),
        ("output.includes('{{- city }}')", "whitespace-trimming"),
        ("{% if flag %}true{% endif %}", "the Nunjucks tag"),
        ("{# note #}true", "the Nunjucks tag"),
        ("output.includes('{{ nope }}')", "the case has no variable `nope`"),
        ("output.length > {{ city }}", "pastes the value (str) in as code"),
        ("output.length > {{ neg }}", "only a number ≥ 0 or a boolean"),
        ("output.includes({{ items }})", "pastes the value (list) in as code"),
        ("output.includes('{{ items }}')", "with a list value"),
        ("output.includes('{{ empty }}')", "with a NoneType value"),
        ("output.includes('{{ quote }}')", "holds a quote, a backslash or a line break"),
        ("output.includes('{{ slash }}')", "holds a quote, a backslash or a line break"),
        ("output.includes('{{ lines }}')", "holds a quote, a backslash or a line break"),
        ("output === `{{ tick }}`", "holds a quote, a backslash or a line break"),
        ("/{{ city }}/.test(output)", "inside a regular expression"),
        ("output.{{ city }}", "inside a regular expression, a name"),
        ("x{{ n }} > 1", "as part of a name"),
        ("{{ n }}.toFixed(1) === '5.0'", "names or calls something"),
        ("{{ n }}(output)", "names or calls something"),
        ("const {{ n }} = 1; true", "names or calls something"),
        ("output.includes('{{ city')", "an unclosed `{{`"),
        ("output.length {{ n }} 3", "the code does not parse"),
    ],
)
def test_templates_left_out(code: str, what: str) -> None:
    with pytest.raises(TemplateLeftOut) as caught:
        carry(code, VARS)
    assert what in caught.value.what
    assert caught.value.fix


def _verdict(code: str, output: str, variables: dict[str, Any]) -> tuple[bool, str]:
    """evalkit's javascript check on one output, as a suite would run it."""
    (spec,) = parse_assertions(
        [{"type": "javascript", "value": code}], HERE, load_settings(HERE.parent)
    )
    outcome = evaluate(spec, Observation(text=output, vars=variables))
    return outcome.passed, outcome.message


CODES = [
    "output.includes('{{ word }}')",
    'output.startsWith("{{ word }}:") || output.length > {{ n }}',
    "output === `{{ word }}-{{ n }}`",
    "output.split(' ').length <= {{ n }} && !output.includes('x{{ word }}')",
    "// about {{ word }}\nreturn output.endsWith('{{ word }}') === {{ flag }}",
]


def test_carried_code_judges_as_the_rendered_code_would(tmp_path: Path) -> None:
    """For values a template can be carried with, the check with context.vars gives the
    same verdict as promptfoo's rendered code, on many outputs (seeded)."""
    rng = random.Random(11)
    letters = "ab xyz-:é😀"
    compared = 0
    for _ in range(40):
        word = "".join(rng.choice(letters) for _ in range(rng.randrange(1, 5))).strip() or "a"
        variables = {"word": word, "n": rng.randrange(0, 6), "flag": rng.random() < 0.5}
        for code in CODES:
            carried = carry(code, variables)
            rendered = code
            for name, value in variables.items():
                text = json.dumps(value) if isinstance(value, bool) else str(value)
                rendered = rendered.replace("{{ " + name + " }}", text)
            for output in (word, f"{word}:", f"{word}-{variables['n']}", "x" + word, "a b c d e f"):
                assert (
                    _verdict(carried.code, output, variables)[0]
                    == _verdict(rendered, output, {})[0]
                ), (
                    code,
                    variables,
                    output,
                )
                compared += 1
    assert compared == 40 * len(CODES) * 5
