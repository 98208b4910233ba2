"""Building the suites of a promptfoo import: one per provider family, a variant per
other prompt × model combination, cases with their mapped assertions, and the plan of files.

promptfoo runs every prompt against every provider; an evalkit suite is one prompt version
and one model, with variants for the rest (``evalkit run --all-variants`` runs them all and
``evalkit diff`` compares two). Providers that differ in API or tools cannot be variants of
one suite, so each such family gets its own suite over the same cases.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import ConfigError
from ...io.jsonfile import loads_value
from ...io.yamlfile import LineDict
from ...prompts import PromptRef
from ..report import Origin
from ..sources import Row, file_ref, item_lines, key_line, plain
from ..writer import ImportPlan, slug
from ..yamlout import Comment, document
from .assertions import AssertionMapper, Item, MapContext, NeedsCase
from .assertions.jsmatch import NotAPath, transform_path
from .checkmodule import PACKAGE
from .context import Part
from .prompts import PromptVersion
from .providers import Provider, ProviderReader
from .tests import TestSpec


class SuiteBuilder(Part):
    def __init__(self, context: Any, providers: ProviderReader):
        super().__init__(context)
        self.provider_reader = providers

    @property
    def mapper(self) -> AssertionMapper:
        assert self.context.mapper is not None, "run() creates the mapper first"
        return self.context.mapper

    def plan(
        self,
        data: LineDict,
        prompts: list[PromptVersion],
        providers: list[Provider],
        tests: list[TestSpec],
        default: dict[str, Any],
        repeat: int,
    ) -> ImportPlan:
        plan = ImportPlan(project_name=self.context.project)
        prompt_name = self.context.project
        for version in prompts:
            plan.add("prompts", f"{prompt_name}/{version.version}.j2", version.text)
            plan.prompts.append(PromptRef(prompt_name, version.version))
        families: dict[str, list[Provider]] = {}
        for provider in providers:
            families.setdefault(provider.family, []).append(provider)
        suites: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
        for number, members in enumerate(families.values()):
            suffix = (
                ""
                if len(families) == 1
                else "-" + (members[0].api + (f"-tools-{number + 1}" if members[0].tools else ""))
            )
            name = slug(self.context.project + suffix, "imported")
            suite, file_cases = self.suite(
                name, data, prompt_name, prompts, members, tests, default, repeat, count=number == 0
            )
            suites.append((name, suite, file_cases))
        for module, source in self.context.schemas.items():
            plan.add("root", f"schemas/{module}.py", source)
        if self.context.schemas:
            plan.add("root", "schemas/__init__.py", "", if_missing=True)
        if self.context.checks or self.context.checks.copies:
            plan.add("root", f"{PACKAGE}/__init__.py", "", if_missing=True)
            plan.add(
                "root",
                f"{PACKAGE}/{self.context.checks.name}.py",
                self.context.checks.source(self.config.name),
            )
            for user_file, module in self.context.checks.copies.items():
                plan.add("root", f"{PACKAGE}/{module}.py", user_file.read_text(encoding="utf-8"))
        header = [
            f"# Imported from {self.config.name} by `evalkit import promptfoo`.",
            *self.report.comment_lines(self.base),
        ]
        if self.pins.unpinned:
            first = sorted(self.pins.unpinned)[0]
            header.append(
                "# allow_unpinned: true below because these models were given as aliases: "
                + ", ".join(sorted(self.pins.unpinned))
                + ". An alias can change under you without a commit; pin each with "
                f"`--pin ALIAS=SNAPSHOT` (e.g. --pin {first}={first}-YYYY-MM-DD, a dated snapshot "
                "from the provider's model list) and import again."
            )
        for name, suite, file_cases in suites:
            plan.add("suites", f"{name}.yaml", document(suite, header))
            if file_cases:
                plan.add(
                    "suites",
                    f"cases/{name}.jsonl",
                    "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in file_cases),
                )
        return plan

    def suite(
        self,
        name: str,
        data: LineDict,
        prompt_name: str,
        prompts: list[PromptVersion],
        providers: list[Provider],
        tests: list[TestSpec],
        default: dict[str, Any],
        repeat: int,
        count: bool,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        combos = [
            (prompt, provider, self.provider_reader.effective(provider, prompt))
            for provider in providers
            for prompt in prompts
            if provider.prompt_filter is None
            or prompt.label in provider.prompt_filter
            or any(prompt.label.startswith(f"{f}:") for f in provider.prompt_filter)
        ]
        if not combos:
            raise ConfigError(
                f"no prompt is allowed for the providers of suite {name} (their `prompts:` filters match no label)",
                self.config,
            )
        base_prompt, _, base = combos[0]
        tools = tuple(t["name"] for t in base.tools)
        suite: dict[str, Any] = {"suite": name}
        description = data.get("description")
        if isinstance(description, str) and description.strip():
            suite["description"] = description.strip()
        suite["prompt"] = f"{prompt_name}@{base_prompt.version}"
        suite["model"] = base.model
        if base.api != "chat":
            suite["api"] = base.api
        if base.params:
            suite["params"] = base.params
        if base.schema:
            suite["schema"] = base.schema
        if base.tools:
            suite["tools"] = base.tools
            suite.update(base.tool_settings)
        if repeat > 1:
            suite["repeat"] = repeat

        grader = (default.get("options") or {}).get("provider")
        default_parsed, default_path = self.case_transform(
            (default.get("options") or {}).get("transform"),
            self.context.default_origin or self.origin(),
            base,
        )
        suite_vars = {
            k: plain(v)
            for k, v in (default.get("vars") or {}).items()
            if not (isinstance(v, list) and v and isinstance(v[0], str)) and file_ref(v) is None
        }
        suite_asserts: list[Item] = []
        per_case: list[Row] = []
        default_asserts = default.get("assert") or []
        for raw, line in zip(default_asserts, item_lines(default_asserts), strict=True):
            ctx = MapContext(
                origin=self.origin(line),
                base_dir=self.base,
                output_parsed=default_parsed or default_path is not None or base.structured,
                schema=base.schema is not None,
                path=default_path,
                tools=tools,
                function_call=base.legacy_functions,
                grader=grader,
            )
            try:
                suite_asserts += self.mapper.map(raw, ctx, count=count)
            except NeedsCase:
                per_case.append(Row(raw, ctx.origin))
        if default.get("threshold") is not None:
            self.leave_out(
                key_line(default, "threshold"),
                "defaultTest.threshold",
                "evalkit passes a case when all its checks pass",
            )
        if default.get("metadata"):
            self.report.note(
                self.origin(key_line(default, "metadata")), "defaultTest metadata is not carried"
            )

        inline: list[dict[str, Any]] = []
        from_files: list[dict[str, Any]] = []
        counted: set[int] = set()
        for spec in tests:
            case_vars = {
                k: v for k, v in spec.vars.items() if k not in suite_vars or suite_vars[k] != v
            }
            case: dict[str, Any] = {"id": spec.id}
            if spec.description:
                case["description"] = spec.description
            all_vars = {**suite_vars, **case_vars}
            if not self.add_parsed_vars(case_vars, all_vars, spec):
                continue
            case["vars"] = case_vars
            items: list[Item] = []
            for row in [*per_case, *spec.asserts]:
                first = id(row) not in counted
                counted.add(id(row))
                parsed, path = self.case_transform(
                    spec.transform, spec.transform_origin or spec.origin, base
                )
                ctx = MapContext(
                    origin=row.origin,
                    base_dir=self.base,
                    vars=all_vars,
                    output_parsed=parsed or path is not None or base.structured,
                    schema=base.schema is not None,
                    path=path,
                    tools=tools,
                    function_call=base.legacy_functions,
                    grader=spec.grader if spec.grader is not None else grader,
                )
                items += self.mapper.map(row.value, ctx, count=count and first)
            if items:
                case["assert"] = items
            (from_files if spec.from_file else inline).append(case)
        suite_vars.update(self.missing_vars(prompts, suite_vars, inline + from_files))
        if suite_vars:
            suite["vars"] = suite_vars
        if suite_asserts:
            suite["assert"] = suite_asserts
        cases: list[Any] = list(inline)
        if from_files:
            cases.append({"cases_from": f"cases/{name}.jsonl"})
        if not cases:
            self.leave_out(
                key_line(data, "tests"),
                "a config without tests",
                "add cases to the suite; one empty case was written so it loads",
            )
            cases = [{"id": "example", "vars": {}}]
        suite["cases"] = cases
        variants = self.variants(combos, prompt_name)
        if variants:
            suite["variants"] = variants
        if self.pins.unpinned:
            suite = _after(suite, "model", {"allow_unpinned": True})
        return suite, [_without_comments(c) for c in from_files]

    def case_transform(self, code: Any, origin: Origin, base: Provider) -> tuple[bool, str | None]:
        """A test's ``options.transform``, for the suite's provider: (output parsed, path).
        With tools (or a json_schema answer) promptfoo's output is an object, so a path into
        it (``output[0].function.name``) is read from that object."""
        if code is None:
            return False, None
        object_output = base.structured or bool(base.tools)
        try:
            if not isinstance(code, str) or code.startswith("file://"):
                raise NotAPath("a transform from a file")
            return True, transform_path(code, parsed=object_output)
        except NotAPath as exc:
            self.report.leave_out(
                origin,
                f"options.transform `{' '.join(str(code).split())[:60]}` ({exc})",
                "the case's checks see the untransformed output; add `path:` to them or use a python check",
            )
            return False, None

    def add_parsed_vars(
        self, case_vars: dict[str, Any], all_vars: dict[str, Any], spec: TestSpec
    ) -> bool:
        """Fill the parsed twin of each var a prompt reads with ``| load``."""
        for source, target in self.context.loaded.items():
            if source not in all_vars:
                continue
            value = all_vars[source]
            if isinstance(value, str):
                try:
                    value = loads_value(value)
                except ValueError:
                    self.report.leave_out(
                        spec.origin,
                        f"case {spec.id}: var `{source}` is not JSON, but the prompt parses it (`| load`)",
                        "fix the value; the case was not imported",
                    )
                    return False
            case_vars[target] = value
        return True

    def missing_vars(
        self, prompts: list[PromptVersion], suite_vars: dict[str, Any], cases: list[dict[str, Any]]
    ) -> dict[str, str]:
        """promptfoo renders a missing variable as empty; evalkit refuses to. Variables some
        case lacks get an empty default (and a note)."""
        needed = set().union(*(p.variables for p in prompts)) - set(self.context.loaded.values())
        missing: dict[str, str] = {}
        for var in sorted(needed):
            if var in suite_vars:
                continue
            if not cases or any(var not in c.get("vars", {}) for c in cases):
                missing[var] = ""
        if missing:
            self.report.note(
                self.origin(1),
                f"variables {', '.join(missing)} are missing from some tests; promptfoo renders them "
                "empty, evalkit would refuse, so the suite gives them an empty default",
            )
        return missing

    def variants(
        self, combos: list[tuple[PromptVersion, Provider, Provider]], prompt_name: str
    ) -> dict[str, Any]:
        """Every prompt × model combination after the first, as a named variant."""
        several_prompts = len({p.version for p, _, _ in combos}) > 1
        several_models = len({id(m) for _, m, _ in combos}) > 1
        base_prompt, base_provider, base = combos[0]
        out: dict[str, Any] = {}
        for prompt, provider, effective in combos[1:]:
            parts = []
            if several_models:
                parts.append(slug(provider.label, provider.model))
            if several_prompts:
                parts.append(slug(prompt.label, prompt.version) if prompt.label else prompt.version)
            name = "-".join(parts) or prompt.version
            unique, n = name, 2
            while unique in out or unique == "base":
                unique, n = f"{name}-{n}", n + 1
            variant: dict[str, Any] = {}
            if prompt.version != base_prompt.version:
                variant["prompt"] = f"{prompt_name}@{prompt.version}"
            if provider is not base_provider or effective.model != base.model:
                variant["model"] = effective.model
            if effective.api != base.api:
                variant["api"] = effective.api
            if effective.params != base.params:
                variant["params"] = effective.params
            if effective.schema != base.schema:
                if effective.schema:
                    variant["schema"] = effective.schema
                else:
                    self.report.leave_out(
                        effective.origin,
                        f"provider {provider.label} has no schema while the suite's first one has",
                        "split it into its own suite (a variant cannot drop the schema)",
                    )
            out[unique] = variant
        return out


def _after(mapping: dict[str, Any], key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` with ``extra`` inserted right after ``key``."""
    out: dict[str, Any] = {}
    for k, v in mapping.items():
        out[k] = v
        if k == key:
            out.update(extra)
    return out


def _without_comments(case: dict[str, Any]) -> dict[str, Any]:
    """A case for a JSONL file: comments cannot live there (the suite header lists them)."""
    out = dict(case)
    if "assert" in out:
        out["assert"] = [a for a in out["assert"] if not isinstance(a, Comment)]
        if not out["assert"]:
            del out["assert"]
    return out
