import pytest

from evalkit.errors import ConfigError
from evalkit.io.yamlfile import line_of, parse_yaml

DOC = """a: 1
b:
  c: [x, y]
  d:
    - e: 2
    - f: 3
"""


def test_lines_of_keys_and_items() -> None:
    data = parse_yaml(DOC, "doc.yaml")
    assert line_of(data, ["a"]) == 1
    assert line_of(data, ["b", "d", 1]) == 6
    assert line_of(data, ["b", "d", 1, "f"]) == 6
    assert line_of(data, ["b", "d", 0, "e"]) == 5
    assert line_of(data, ["b", "missing"]) == 2


def test_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml("a: 1\nb: [unclosed\nc: 2\n", "bad.yaml")
    assert err.value.file == "bad.yaml"
    assert err.value.line == 3
    assert str(err.value).startswith("bad.yaml:3: YAML syntax error: expected ',' or ']'")
    assert "flow sequence at line 2" in str(err.value)


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert err.value.line == 3
    assert "duplicate key 'a'" in str(err.value)


def test_safe_load_refuses_python_tags() -> None:
    with pytest.raises(ConfigError):
        parse_yaml("a: !!python/object/apply:os.system ['echo hi']\n", "evil.yaml")
