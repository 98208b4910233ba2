from __future__ import annotations

import pytest

from evalkit.cli.main import main
from evalkit.project.loader import load_suite
from evalkit.wire.pinning import is_pinned

from ..conftest import SUITE, Project

FULL = """suite: routing
description: every field
prompt: triage@v1
model: gpt-4.1-mini-2025-04-14
api: responses
params: {max_output_tokens: 50}
schema: schemas.triage:Ticket
structured: json_object
vars: {company: Acme}
budget: {input_tokens: 100, output_tokens: 50, cost_usd: 0.01, latency_ms: 500}
repeat: 2
case_threshold: 0.5
threshold: 0.9
assert:
  - schema
  - {type: length, path: summary, max: 80, weight: 2}
cases:
  - id: 1
    description: numeric ids are text
    vars: {body: a}
    expect: {category: billing}
    assert:
      - {type: contains, path: summary, value: x, not: true}
      - {type: finish_reason, value: length}
  - cases_from: cases/more.csv
  - cases_from: cases/more.yaml
variants:
  v2: {model: gpt-4.1-2025-04-14, params: {max_output_tokens: 10}, vars: {company: B}}
"""


def test_every_field_loads(project: Project) -> None:
    project.write(
        "suites/cases/more.csv",
        'id,body,expect.category,assert\ncsv-1,hello,account,"[{""type"": ""regex"", ""value"": ""h""}]"\ncsv-2,bye,other,\n',
    )
    project.write("suites/cases/more.yaml", "- id: y-1\n  vars: {body: yo}\n  assert: [is_json]\n")
    project.write("suites/triage.yaml", FULL)
    suite = load_suite(project.suite)
    assert suite.name == "routing" and suite.description == "every field"
    assert (suite.repeat, suite.case_threshold, suite.threshold) == (2, 0.5, 0.9)
    assert suite.base.api == "responses" and suite.base.structured == "json_object"
    assert suite.base.schema_model is not None and suite.base.schema_model.__name__ == "Ticket"
    assert suite.variants["v2"].model == "gpt-4.1-2025-04-14"
    assert suite.variants["v2"].vars == {"company": "B"}
    assert [c.id for c in suite.cases] == ["1", "csv-1", "csv-2", "y-1"]
    first = suite.cases[0]
    types = [a.describe() for a in first.asserts]
    assert types == [
        "schema",
        "length at summary",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "latency_ms",
        "equals at category",
        "not contains at summary",
        "finish_reason",
    ]  # an explicit finish_reason replaces the implicit "not truncated" check
    csv1 = suite.cases[1]
    assert csv1.vars == {"body": "hello"} and csv1.line == 2
    assert [a.describe() for a in csv1.asserts][-3:] == [
        "equals at category",
        "regex",
        "not_truncated",
    ]
    assert "not_truncated" in [a.describe() for a in suite.cases[3].asserts]
    assert suite.cases[3].line == 1


def test_bad_csv_row_points_at_its_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/cases/more.csv", 'id,body,assert\nok,hi,\nbad,hi,"[{""type"": ""nope""}]"\n'
    )
    project.write("suites/triage.yaml", SUITE + "  - cases_from: cases/more.csv\n")
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith(
        "suites/cases/more.csv:3: unknown assertion type 'nope'"
    )


def test_yaml_cases_file_errors_point_at_the_row(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/cases/more.yaml", "- id: a\n  vars: {body: x}\n- id: b\n  varz: {body: y}\n"
    )
    project.write("suites/triage.yaml", SUITE + "  - cases_from: cases/more.yaml\n")
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith(
        "suites/cases/more.yaml:4: case: unknown field 'varz'"
    )


@pytest.mark.parametrize(
    ("model", "pinned"),
    [
        ("gpt-4.1-mini-2025-04-14", True),
        ("gpt-3.5-turbo-0125", True),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", True),
        ("text-embedding-3-small", True),
        ("gpt-4.1-mini", False),
        ("gpt-4o", False),
        ("o3", False),
    ],
)
def test_pinning(model: str, pinned: bool) -> None:
    assert is_pinned(model) is pinned


def test_suites_with_the_same_name_clash(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/other.yaml", SUITE)
    assert main(["check"]) == 2
    assert "suite name 'triage' is also used by" in capsys.readouterr().err


def test_list_yaml_in_suites_folder_is_not_a_suite(project: Project) -> None:
    project.write("suites/cases/rows.yaml", "- id: a\n  vars: {body: x}\n")
    assert main(["check"]) == 0


@pytest.mark.parametrize("field", ["stream", "model", "repeat", "schema", "params", "max_turns"])
def test_a_suite_setting_on_a_case_says_where_it_goes(
    project: Project, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    value = {"stream": "true", "model": "gpt-4.1-2025-04-14", "repeat": "3"}.get(field, "{}")
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            '    vars: {body: "The site is down"}\n',
            f'    vars: {{body: "The site is down"}}\n    {field}: {value}\n',
        ),
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert f"unknown field {field!r}: `{field}` is a suite or variant setting" in err
    assert "suites/triage.yaml:" in err


def test_an_unknown_case_field_stays_unknown(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            '    vars: {body: "The site is down"}\n', '    vars: {body: "x"}\n    colour: red\n'
        ),
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "unknown field 'colour'" in err and "suite or variant setting" not in err
