"""Nunjucks → Jinja: each construct that differs is rewritten, the result renders in evalkit's
sandbox as promptfoo's Nunjucks would have, and what has no equivalent is reported."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from evalkit.importers.promptfoo.nunjucks import escape_text, translate
from evalkit.prompts import MessageExtension


def render(template: str, **variables: Any) -> str:
    """Render as evalkit does: immutable sandbox, StrictUndefined."""
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, extensions=[MessageExtension]
    )
    return env.from_string(template).render(**variables)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello {{name}}", "Hello {{ name }}"),
        ("{{ x | dump }}", "{{ x | tojson }}"),
        ("{{ x | dump(2) }}", "{{ x | tojson(2) }}"),
        ('{{ items | join(", ") }}', '{{ items | join(", ") }}'),
        (
            "{% for i in items %}{{ loop.index }}{% endfor %}",
            "{% for i in items %}{{ loop.index }}{% endfor %}",
        ),
        ("{% if a === 1 && !b %}x{% endif %}", "{% if a == 1 and not b %}x{% endif %}"),
        ("{% if a !== 1 || c %}x{% endif %}", "{% if a != 1 or c %}x{% endif %}"),
        (
            "{% if a %}x{% elseif b %}y{% else %}z{% endif %}",
            "{% if a %}x{% elif b %}y{% else %}z{% endif %}",
        ),
        ("{{ name.toUpperCase() }}", "{{ (name | upper) }}"),
        ("{{ name.toLowerCase() }}", "{{ (name | lower) }}"),
        ("{{ name.trim() }}", "{{ (name | trim) }}"),
        ('{{ tags.includes("x") }}', '{{ ("x" in tags) }}'),
        ('{{ tags.join(" / ") }}', '{{ (tags | join(" / ")) }}'),
        ("{{ x is null }}", "{{ x is none }}"),
        ("{{ x if y else 'n/a' }}", "{{ x if y else 'n/a' }}"),
        (
            "{% for k, v in obj %}{{k}}{% endfor %}",
            "{% for k, v in (obj).items() %}{{ k }}{% endfor %}",
        ),
        ("{%- if x -%} y {%- endif -%}", "{%- if x -%} y {%- endif -%}"),
        ("{# a comment #}", "{# a comment #}"),
        ("{% raw %}{{ kept }}{% endraw %}", "{% raw %}{{ kept }}{% endraw %}"),
        ("{% set n = items | length %}{{ n }}", "{% set n = items | length %}{{ n }}"),
        ("{{ a ~ b }}", "{{ a ~ b }}"),
    ],
)
def test_constructs_that_differ_are_rewritten(source: str, expected: str) -> None:
    result = translate(source)
    assert result.problems == []
    assert result.text == expected


@pytest.mark.parametrize(
    ("source", "variables", "promptfoo_renders"),
    [
        ("{% if n === 2 && !flag %}two{% endif %}", {"n": 2, "flag": False}, "two"),
        ("{{ items.length }} items", {"items": ["a", "b", "c"]}, "3 items"),
        ("{{ word.length }}", {"word": "hello"}, "5"),
        ("{{ style.length }}", {"style": {"length": "brief"}}, "brief"),  # a key, not a size
        ("{{ name.toUpperCase() }}!", {"name": "ada"}, "ADA!"),
        ("{% if list.includes('b') %}has b{% endif %}", {"list": ["a", "b"]}, "has b"),
        (
            "{% for k, v in obj %}{{ k }}={{ v }};{% endfor %}",
            {"obj": {"a": 1, "b": 2}},
            "a=1;b=2;",
        ),
        ("{% for x in xs %}{{ loop.index }}.{{ x }} {% endfor %}", {"xs": ["p", "q"]}, "1.p 2.q "),
        ('{{ text.replace("a", "o") }}', {"text": "banana"}, "bonana"),  # JS: first match only
        ("{{ csv.split(',') | join('/') }}", {"csv": "a,b,,c"}, "a/b//c"),
        ("{{ missing if missing else 'none given' }}", {"missing": None}, "none given"),
    ],
)
def test_translated_templates_render_like_nunjucks(
    source: str, variables: dict[str, Any], promptfoo_renders: str
) -> None:
    result = translate(source)
    assert result.problems == []
    assert render(result.text, **variables) == promptfoo_renders


def test_dump_becomes_tojson_with_a_note_about_formatting() -> None:
    result = translate("Data: {{ payload | dump }}")
    assert result.text == "Data: {{ payload | tojson }}"
    assert len(result.notes) == 1 and "sorts keys" in result.notes[0].what
    assert render(result.text, payload={"b": 1, "a": [1]}) == 'Data: {"a": [1], "b": 1}'


def test_load_filter_reads_a_parsed_twin_variable() -> None:
    loaded: dict[str, str] = {}
    result = translate("Tone: {{ (style | load).tone }}; raw: {{ style }}", loaded=loaded)
    assert result.text == "Tone: {{ (style_parsed).tone }}; raw: {{ style }}"
    assert loaded == {"style": "style_parsed"}
    assert result.variables == {"style", "style_parsed"}
    rendered = render(result.text, style='{"tone":"formal"}', style_parsed={"tone": "formal"})
    assert rendered == 'Tone: formal; raw: {"tone":"formal"}'


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("a\n{{ body | nl2br }}", "the filter `nl2br`"),
        ("{{ x | shout }}", "the filter `shout`, which Jinja does not have"),
        ('{% include "header.txt" %}', "the `include` tag (another template file)"),
        ('{% import "m.njk" as m %}', "the `import` tag (another template file)"),
        ("{{ env.API_HOST }}", "the promptfoo `env` global"),
        ("{{ x is truthy }}", "the Nunjucks test `is truthy` has no Jinja equivalent"),
        ("{{ s.padStart(3) }}", "the JavaScript method `.padStart()`"),
        ("{{ s.upper() }}", "the JavaScript method `.upper()`"),  # Python's, not JavaScript's
        ("{{ s.split() }}", "the JavaScript method `.split()`"),  # [s] in JS, words in Python
        ("{{ (a + b) | load }}", "promptfoo's `load` filter (JSON.parse) on an expression"),
        ("{% asyncEach x in xs %}{% endeach %}", "the Nunjucks tag `asyncEach`"),
    ],
)
def test_what_has_no_equivalent_is_reported_with_its_line(source: str, what: str) -> None:
    result = translate(source)
    assert result.problems, result.text
    problem = result.problems[0]
    assert what in problem.what
    assert problem.fix
    assert problem.line == source.count("\n", 0, source.index("{")) + 1


def test_an_untranslatable_tag_stays_visible_as_a_comment() -> None:
    result = translate("Summary:\n{{ article | nl2br }}\nEnd")
    assert result.text == (
        "Summary:\n{# left out by evalkit import (see the import report): "
        "{{ article | nl2br }} #}\nEnd"
    )
    assert render(result.text) == "Summary:\n\nEnd"  # loads and renders: the gap is reported


def test_custom_filters_from_the_config_are_named() -> None:
    result = translate("{{ name | uppercaseFirst }}", custom_filters=frozenset({"uppercaseFirst"}))
    assert "custom Nunjucks filter `uppercaseFirst` (nunjucksFilters)" in result.problems[0].what


def test_syntax_jinja_rejects_is_reported() -> None:
    result = translate("{% if x %}never closed")
    assert result.problems and "template syntax Jinja rejects" in result.problems[0].what


def test_variables_are_collected_for_defaults() -> None:
    result = translate("{% for x in xs %}{{ x }}{{ y }}{% endfor %}{{ loop_free }}")
    assert result.variables == {"xs", "y", "loop_free"}


@pytest.mark.parametrize(
    "text", ["plain", "braces {{ not a var }}", "{% raw %} and endraw {% endraw %}", "{# c #}"]
)
def test_escaped_literal_text_renders_unchanged(text: str) -> None:
    assert render(escape_text(text)) == text


@pytest.mark.parametrize(
    ("source", "variables", "promptfoo_renders"),
    [
        ("{{ 'y' if flag }}|", {"flag": False}, "|"),  # no else: empty, as in Nunjucks
        ("{{ 2 ** 3 }} {{ 7 // 2 }} {{ 7 % 4 }} {{ -x + 1 }}", {"x": 2}, "8 3 3 -1"),
        ("{% if 'b' not in xs %}none{% endif %}", {"xs": ["a"]}, "none"),
        ("{% if x is not defined %}undef{% endif %}", {}, "undef"),
        ("{% if n is divisibleby(3) %}fizz{% endif %}", {"n": 9}, "fizz"),
        ("{{ [1, 2] | join('-') }} {{ {'a': 1}.a }}", {}, "1-2 1"),
        ("{{ xs | join(d='+') if false else xs | length }}", {"xs": [1]}, "1"),
        ("{% set t = 'hi' %}{{ t | upper }}", {}, "HI"),
        ("{% verbatim %}{{ raw }}{% endverbatim %}", {}, "{{ raw }}"),
        ("{{ items[0] }}{{ obj['k'] }}", {"items": ["z"], "obj": {"k": "v"}}, "zv"),
        ("{% if s.startsWith('ab') %}ab{% endif %}", {"s": "abc"}, "ab"),
        ("{% for a, b in pairs %}{{ a }}{{ b }}{% endfor %}", {"pairs": {"x": 1}}, "x1"),
    ],
)
def test_more_expressions_render_like_nunjucks(
    source: str, variables: dict[str, Any], promptfoo_renders: str
) -> None:
    result = translate(source)
    assert result.problems == [], result.problems
    assert render(result.text, **variables) == promptfoo_renders


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("{{ r/ab/g.test(x) }}", "a Nunjucks regular expression literal"),
        ("{{ a. }}", "'.' without a property name"),
        ("{{ a | }}", "a filter without a name"),
        ("{{ a is }}", "an `is` test without a name"),
        ("{{ (a }}", "expected ')'"),
        ("{{ a @ b }}", "unexpected character '@'"),
        ("{{ a b }}", "unexpected 'b'"),
        ("{% for x %}{% endfor %}", "a `for` tag without `in`"),
        ("{% block body %}{% endblock %}", "the `block` tag (another template file)"),
        ("{% frobnicate %}", "the Nunjucks tag `frobnicate`"),
    ],
)
def test_more_constructs_without_an_equivalent(source: str, what: str) -> None:
    problems = translate(source).problems
    assert problems and what in problems[0].what, problems


def test_escaped_text_with_endraw_inside() -> None:
    text = "literal {{ x }} and {% endraw %} too"
    assert render(escape_text(text)) == text
    assert escape_text("plain") == "plain"
