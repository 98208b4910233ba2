"""JavaScript regular expressions as Python ones, for the subset both engines read alike;
checked against node's own ``RegExp`` when node is installed."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest

from evalkit.importers.promptfoo.assertions.regex import literal, to_python


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        ("abc", "abc"),
        ("a b", "a\\ b"),
        ("\\d{3}-\\d{4}", "(?a)\\d{3}\\-\\d{4}"),
        ("^ok$", "^ok\\Z"),
        ("colou?r", "colou?r"),
        ("(cat|dog)s+?", "(?:cat|dog)s+?"),
        ("(?<year>\\d{4})", "(?a)(?:\\d{4})"),
        ("(?:a){2,}", "(?:a){2,}"),
        ("[A-Za-z_][\\w.-]*", "(?a)[A-Za-z_][\\w\\.\\-]*"),
        ("\\bword\\b", "(?a)\\bword\\b"),
        ("a.*b", "a[^\\n\\r\\u2028\\u2029]*b"),
        ("a.+?b", "a[^\\n\\r\\u2028\\u2029]+?b"),
        ("\\$\\d+\\.\\d\\d", "(?a)\\$\\d+\\.\\d\\d"),
        ("\\x41\\u00e9", "Aé"),
        ("a\\/b", "a/b"),
        ("", ""),
        ("a|", "a|"),
    ],
)
def test_the_subset_in_python(pattern: str, python: str) -> None:
    assert to_python(pattern) == python
    re.compile(python)


def test_spaces_are_javascripts_spaces() -> None:
    python = to_python("a\\sb")
    assert python is not None
    assert re.search(python, "a\u00a0b") and re.search(python, "a\ufeffb")
    assert not re.search(python, "a\x1cb")  # Python's \s has it, JavaScript's has not
    assert not re.search(python, "a\x85b")


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?i)yes", "no inline flags in JavaScript"),
        ("(?=a)b", "a lookahead"),
        ("(?<!a)b", "a lookbehind"),
        ("(a)\\1", "a back-reference"),
        ("\\k<x>", "a named back-reference"),
        ("\\p{L}", "a property escape"),
        ("[^a]", "a negated class matches half an emoji"),
        ("\\D", "so does \\D"),
        ("\\W|\\S", "and \\W, \\S"),
        ("a.b", "a lone dot counts code units"),
        ("a.{2}", "so does a counted dot"),
        ("[]", "an empty class"),
        ("a{,3}", "JavaScript reads `{,3}` as text, Python as a quantifier"),
        ("a{2", "a stray brace"),
        ("a}", "a stray brace"),
        ("x**", "a double quantifier"),
        ("*a", "nothing to repeat"),
        ("(a", "an open group"),
        ("a)", "a closing parenthesis"),
        ("[a-\\d]", "a range to a class"),
        ("[z-a]", "a reversed range"),
        ("[[a]]", "Python's nested-set warning"),
        ("\\cJ", "a control escape"),
        ("\\q", "an identity escape of a letter"),
        ("😀+", "an emoji is two code units in JavaScript"),
        ("\\ud83d", "half an emoji"),
        ("[\\b]", "a backspace in a class"),
        ("a\\", "a trailing backslash"),
    ],
)
def test_what_stays_javascript(pattern: str, why: str) -> None:
    assert to_python(pattern) is None, why


@pytest.mark.parametrize(
    ("pattern", "written"),
    [
        ("a/b", "/a\\/b/"),
        ("[/]", "/[\\/]/"),
        ("a\\/b", "/a\\/b/"),
        ("a\nb", "/a\\nb/"),
        ("", "/(?:)/"),
        ("a\\", "/a\\/"),  # still an error, as RegExp('a\\') is
    ],
)
def test_literals_for_new_regexp_sources(pattern: str, written: str) -> None:
    assert literal(pattern) == written


PATTERNS = [
    "abc",
    "^\\d+$",
    "\\d{3}-\\d{4}",
    "\\bcat\\b",
    "a\\sb",
    "a.*b",
    "^.+$",
    "(cat|dog)s?",
    "[A-Z][a-z]+\\s[0-9]{2,}",
    "colou?r$",
    "\\$\\d+(?:\\.\\d\\d)?",
    "[\\w.+-]+@[\\w-]+\\.[a-z]{2,}",
]
TEXTS = [
    "abc",
    "123",
    "123\n",
    "١٢٣",
    "555-1234",
    "écat",
    "cat!",
    "concat",
    "a\u00a0b",
    "a\x1cb",
    "a\u3000b",
    "a😀b",
    "a\rb",
    "a\u2028b",
    "😀",
    "dogs",
    "Room 101",
    "Ünïcode 12",
    "colour",
    "color\n",
    "$4.20",
    "x.y+z@mail-host.io",
    "",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_python_matches_where_node_matches() -> None:
    script = (
        "const [patterns, texts] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => texts.map(t => new RegExp(p).test(t)))));"
    )
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([PATTERNS, TEXTS]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    node = json.loads(done.stdout)
    differences = []
    for pattern, verdicts in zip(PATTERNS, node, strict=True):
        python = to_python(pattern)
        assert python is not None, pattern
        for text, expected in zip(TEXTS, verdicts, strict=True):
            if (re.search(python, text) is not None) != expected:
                differences.append((pattern, text, expected))
    assert differences == []


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    atoms = ["a", "b", "é", "\\d", "\\w", "\\s", "[a-c]", "[\\d_]", "\\.", "-", " ", "\\b"]
    parts = []
    for _ in range(rng.randrange(1, 4)):
        roll = rng.random()
        if roll < 0.15 and depth < 2:
            atom = "(" + _random_pattern(rng, depth + 1) + ")"
        elif roll < 0.25:
            atom = ".*" if rng.random() < 0.5 else ".+?"
        else:
            atom = rng.choice(atoms)
        if atom != "\\b" and not atom.startswith(".") and rng.random() < 0.3:
            atom += rng.choice(["*", "+", "?", "{2}", "{1,2}", "*?"])
        parts.append(atom)
    pattern = "".join(parts)
    if rng.random() < 0.2:
        pattern += "|" + rng.choice(atoms)
    if rng.random() < 0.2:
        pattern = "^" + pattern
    if rng.random() < 0.2:
        pattern += "$"
    return pattern


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_random_patterns_of_the_subset_match_where_node_matches() -> None:
    rng = random.Random(5)
    patterns = [_random_pattern(rng) for _ in range(150)]
    texts = [
        "",
        "a",
        "ab",
        "a b",
        "a\nb",
        "a😀b",
        "é_1",
        "12.5-x",
        "b\u00a0a",
        "aa\n",
        "١",
        "\u2028",
    ]
    assert all(to_python(p) is not None for p in patterns)
    script = (
        "const [patterns, texts] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => texts.map(t => new RegExp(p).test(t)))));"
    )
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, texts]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    differences = [
        (pattern, text)
        for pattern, verdicts in zip(patterns, json.loads(done.stdout), strict=True)
        for text, expected in zip(texts, verdicts, strict=True)
        if (re.search(to_python(pattern) or "", text) is not None) != expected
    ]
    assert differences == []
