"""promptfoo ``tests:`` and ``defaultTest`` → one :class:`TestSpec` per evalkit case.

Tests come inline or from files (CSV with ``__expected`` columns, JSON, JSONL, YAML; lists
of files and globs); a test's vars merge over ``defaultTest.vars``, arrays of strings and
``file://`` globs expand into one case each (as promptfoo does), and ``file://`` values are
read. Fields evalkit cases do not have are reported with their line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ...errors import ConfigError
from ...io.yamlfile import LineDict
from ..report import Origin
from ..sources import (
    Row,
    csv_rows,
    expand,
    file_ref,
    item_lines,
    jsonl_rows,
    key_line,
    load_structured,
    plain,
    read_text,
    rows_of,
)
from ..writer import slug
from .assertions.expected import assertion_from_string
from .context import Part

_TEST_KEYS = {"description", "vars", "assert", "options", "threshold", "metadata"}


@dataclass
class TestSpec:
    """One promptfoo test, vars expanded (so one evalkit case)."""

    id: str
    description: str
    vars: dict[str, Any]
    asserts: list[Row]
    origin: Origin
    from_file: bool
    transform: str | None = None  # options.transform (own or defaultTest's)
    transform_origin: Origin | None = None
    grader: Any = None


class TestReader(Part):
    def default_test(self, data: LineDict) -> dict[str, Any]:
        node = data.get("defaultTest") or {}
        line = key_line(data, "defaultTest")
        ref = file_ref(node)
        if ref is not None:
            node = load_structured(expand(ref, self.base, self.origin(line))[0], self.origin(line))
        if not isinstance(node, dict):
            raise ConfigError(
                "defaultTest must be a mapping or a file:// reference", self.config, line
            )
        return node

    def tests(
        self,
        node: Any,
        line: int | None,
        default: dict[str, Any],
        scenarios: Any = None,
        scenarios_line: int | None = None,
    ) -> list[TestSpec]:
        rows = self.test_rows(node, line) + self.scenario_rows(scenarios, scenarios_line)
        specs: list[TestSpec] = []
        for index, (row, from_file) in enumerate(rows, 1):
            specs += self.test(row, index, from_file, default)
        seen: dict[str, int] = {}
        for spec in specs:
            base = spec.id
            if base in seen:
                seen[base] += 1
                spec.id = f"{base}-{seen[base]}"
            else:
                seen[base] = 1
        return specs

    def scenario_rows(self, node: Any, line: int | None) -> list[tuple[Row, bool]]:
        """promptfoo ``scenarios``: every config row × every test, as plain tests (the row's
        vars under the test's, the row's assertions before the test's)."""
        if node is None:
            return []
        if not isinstance(node, list):
            self.leave_out(line, "`scenarios` that are not a list", "list {config, tests} entries")
            return []
        out: list[tuple[Row, bool]] = []
        for scenario, scenario_line in zip(node, item_lines(node), strict=True):
            if not isinstance(scenario, dict) or not isinstance(scenario.get("config"), list):
                self.leave_out(
                    scenario_line, "a scenario without a `config` list", "give {config, tests}"
                )
                continue
            tests = scenario.get("tests") or [{}]
            test_lines = item_lines(tests) if isinstance(tests, list) else []
            for data in scenario["config"]:
                for test, test_line in zip(tests, test_lines, strict=True):
                    if not isinstance(data, dict) or not isinstance(test, dict):
                        continue
                    merged = {**data, **test}
                    merged["vars"] = {**(data.get("vars") or {}), **(test.get("vars") or {})}
                    merged["assert"] = [*(data.get("assert") or []), *(test.get("assert") or [])]
                    out.append((Row(merged, self.origin(test_line or scenario_line)), False))
        return out

    def test_rows(self, node: Any, line: int | None) -> list[tuple[Row, bool]]:
        origin = self.origin(line)
        items: list[tuple[Any, Origin]]
        if isinstance(node, str):
            items = [(node, origin)]
        elif isinstance(node, list):
            items = [
                (item, self.origin(ln)) for item, ln in zip(node, item_lines(node), strict=True)
            ]
        elif isinstance(node, dict):
            items = [(node, origin)]
        else:
            raise ConfigError("tests must be a list, a file or a mapping", self.config, line)
        out: list[tuple[Row, bool]] = []
        for item, item_origin in items:
            if (
                isinstance(item, dict)
                and "path" in item
                and len(set(item) - {"path", "config"}) == 0
            ):
                item = item["path"]  # {path: file://tests.csv}
            if isinstance(item, dict):
                out.append((Row(item, item_origin), False))
                continue
            if not isinstance(item, str):
                self.report.leave_out(
                    item_origin, f"a test of type {type(item).__name__}", "write tests as mappings"
                )
                continue
            if re.match(r"^(huggingface|https?|gs|s3)://", item):
                self.report.leave_out(
                    item_origin,
                    f"tests from {item.split(':', 1)[0]} ({item})",
                    "export them to a CSV or JSONL file and import again",
                )
                continue
            ref = file_ref(item) or item
            for path in expand(ref, self.base, item_origin):
                out += [(row, True) for row in self.test_file(path, item_origin)]
        return out

    def test_file(self, path: Path, origin: Origin) -> list[Row]:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return [Row(self.csv_test(row), row.origin) for row in csv_rows(path, origin)]
        if suffix == ".jsonl":
            return jsonl_rows(path, origin)
        if suffix in (".json", ".yaml", ".yml"):
            data = load_structured(path, origin)
            if isinstance(data, dict) and isinstance(data.get("tests"), list):
                data = data["tests"]
            return rows_of(data, path)
        self.report.leave_out(
            origin,
            f"tests from a {suffix or 'extension-less'} file ({path.name})",
            "export them to CSV, JSONL or YAML and import again",
        )
        return []

    def csv_test(self, row: Row) -> dict[str, Any]:
        """promptfoo's CSV columns: vars, ``__expected``/``__expectedN``, ``__description``..."""
        test: dict[str, Any] = {"vars": {}, "assert": []}
        for column, value in row.value.items():
            if column.startswith("__expected"):
                if value.strip():
                    test["assert"].append(assertion_from_string(value))
            elif column == "__description":
                test["description"] = value
            elif column in (
                "__prefix",
                "__suffix",
                "__metric",
                "__threshold",
                "__providerOutput",
                "__metadata",
            ) or column.startswith("__metadata"):
                if value.strip():
                    test.setdefault("_csv_left_out", []).append(column)
            else:
                test["vars"][column] = value
        return test

    def test(
        self, row: Row, index: int, from_file: bool, default: dict[str, Any]
    ) -> list[TestSpec]:
        node = row.value
        origin = row.origin
        if not isinstance(node, dict):
            self.report.leave_out(
                origin, "a test that is not a mapping", "write it as {vars, assert}"
            )
            return []
        for column in node.get("_csv_left_out", []):
            self.report.leave_out(
                origin,
                f"the CSV column `{column}`",
                "evalkit cases have no prompt prefix/suffix, named metrics or per-case thresholds",
            )
        for key in set(node) - _TEST_KEYS - {"_csv_left_out"}:
            hint = {
                "provider": "a case cannot pick its own model: make it a variant",
                "providers": "a case runs under every variant; split the suite to restrict it",
                "prompts": "a case runs under every variant; split the suite to restrict it",
                "assertScoringFunction": "evalkit passes a case when every assertion passes",
            }.get(key, "evalkit cases have no such field")
            self.report.leave_out(origin.at(key_line(node, key)), f"test field `{key}`", hint)
        if node.get("threshold") is not None:
            self.report.leave_out(
                origin.at(key_line(node, "threshold")),
                f"the test threshold {node['threshold']}",
                "evalkit passes a case when all its checks pass (weights apply to scores); drop the failing-allowed checks or give them weight 0",
            )
        if node.get("metadata"):
            self.report.note(
                origin.at(key_line(node, "metadata")),
                "test metadata is not carried (evalkit cases have an id and a description)",
            )
        raw_vars = node.get("vars") or {}
        ref = file_ref(raw_vars)
        if ref is not None:
            raw_vars = load_structured(expand(ref, self.base, origin)[0], origin)
        if not isinstance(raw_vars, dict):
            self.report.leave_out(
                origin, "test vars that are not a mapping", "write vars as name: value"
            )
            raw_vars = {}
        default_vars = default.get("vars") or {}
        merged = {**(default_vars if isinstance(default_vars, dict) else {}), **raw_vars}
        own_options = node.get("options") or {}
        options = {**(default.get("options") or {}), **own_options}
        transform_origin: Origin | None
        if "transform" in own_options:
            transform = own_options["transform"]
            transform_origin = origin.at(key_line(node, "options"))
        else:
            transform, transform_origin = options.get("transform"), self.context.default_origin
        for key in set(own_options) - {"transform", "provider"}:
            hint = (
                "a judge uses evalkit's own grading prompt; a project prompt can replace it (judge `prompt:`)"
                if key == "rubricPrompt"
                else "evalkit has no such case option"
            )
            self.report.leave_out(
                origin.at(key_line(node, "options")), f"test option `{key}`", hint
            )
        asserts = node.get("assert") or []
        if not isinstance(asserts, list):
            self.report.leave_out(origin, "`assert` that is not a list", "list the assertions")
            asserts = []
        lines = item_lines(asserts)
        assert_rows = [
            Row(a, origin.at(ln) if ln else origin) for a, ln in zip(asserts, lines, strict=True)
        ]
        description = str(node.get("description") or "")
        base_id = slug(description, "") if description else ""
        if not base_id:
            stem = Path(origin.file).stem if from_file else "test"
            base_id = f"{slug(stem, 'test')}-{index}"
        specs = []
        for n, combo in enumerate(self.combinations(merged, origin), 1):
            specs.append(
                TestSpec(
                    id=base_id if n == 1 else f"{base_id}-{n}",
                    description=description,
                    vars=combo,
                    asserts=assert_rows,
                    origin=origin,
                    from_file=from_file,
                    transform=transform,
                    transform_origin=transform_origin,
                    grader=options.get("provider"),
                )
            )
        return specs

    def combinations(self, variables: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
        """promptfoo's var expansion: an array of strings (or a file glob) is one case each."""
        combos: list[dict[str, Any]] = [{}]
        for key, value in variables.items():
            values: list[Any]
            ref = file_ref(value)
            if ref is not None:
                values = [
                    self.var_file(path, key, origin) for path in expand(ref, self.base, origin)
                ]
            elif isinstance(value, list) and value and isinstance(value[0], str):
                values = list(value)
            else:
                values = [plain(value)]
            combos = [{**combo, key: v} for combo in combos for v in values]
        return combos

    def var_file(self, path: Path, name: str, origin: Origin) -> Any:
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return json.dumps(plain(yaml.safe_load(read_text(path, origin))), ensure_ascii=False)
        if suffix in (
            ".py",
            ".js",
            ".ts",
            ".png",
            ".jpg",
            ".jpeg",
            ".gif",
            ".webp",
            ".pdf",
            ".docx",
            ".mp3",
            ".wav",
        ):
            self.report.leave_out(
                origin,
                f"var `{name}` from {path.name}",
                "compute the value into the case's vars (images: {% image %} in the template)",
            )
            return ""
        return read_text(path, origin)
