"""Suite files: YAML → typed :class:`~evalkit.project.suite.Suite`, every error at its line.

Validation happens here, once, before any request is built: shape (pydantic), assertion
arguments (each check's own model and ``validate``), case ids, case files, schema imports,
prompt references and model pins. A suite that loads is a suite that can run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..checks import REGISTRY, ArgumentError, AssertionSpec, LoadContext, threshold_types
from ..checks.python import import_object
from ..config import Settings, activate_root, find_root, load_settings
from ..errors import ConfigError
from ..io.files import is_regular, resolved
from ..io.yamlfile import LineDict, LineList, load_yaml, located_error
from ..prompts import PromptRef, PromptStore
from ..wire.pinning import is_pinned, pin_hint
from ..wire.strict import strict_problems
from ..wire.tools import Script, ScriptedResult, Tool, valid_tool_name
from .casefiles import csv_rows, jsonl_rows, row_lines
from .caselist import CaseList
from .rawsuite import (
    RawCase,
    RawCasesFrom,
    RawSuite,
    RawTool,
    RawVariant,
)
from .suite import Case, Suite, Target

_COMMON = {"path": "path", "not": "negate", "weight": "weight", "threshold": "threshold"}

__all__ = ["load_suite", "parse_assertions"]


class SuiteLoader:
    def __init__(self, path: Path, settings: Settings):
        self.allow_unpinned = False
        self.has_schema = True
        self.tool_names: set[str] = set()
        self.streams = True
        self.path = path
        self.settings = settings
        self.prompts = PromptStore(settings.prompts_dir)
        self._implicit: list[tuple[frozenset[str], AssertionSpec]] | None = None

    def implicit(self) -> list[tuple[frozenset[str], AssertionSpec]]:
        """The assertions evalkit adds to a case (with the written types that replace
        each), made once: a spec is frozen, so every case shares the same objects (a suite
        of 100,000 cases holds two, not 200,000)."""
        if self._implicit is None:
            self._implicit = [
                (frozenset(check.replaced_by), implicit)
                for check in REGISTRY.loaded()  # a lazily imported family adds none
                if (implicit := check.implicit()) is not None
            ]
        return self._implicit

    def fail(self, message: str, line: int | None, file: Path | None = None) -> ConfigError:
        return ConfigError(message, file or self.path, line)

    def load(self) -> Suite:
        data = load_yaml(self.path)
        if data is None:
            raise self.fail(
                "the suite file is empty: write prompt:, model: and cases: (see the README)", 1
            )
        if not isinstance(data, LineDict):
            raise self.fail(
                "a suite file must be a YAML mapping (suite:, prompt:, model:, cases: ...)", 1
            )
        try:
            raw = RawSuite.model_validate(data)
        except ValidationError as exc:
            raise located_error(exc, data, self.path) from None

        name = str(raw.suite or self.path.stem)
        self.allow_unpinned = raw.allow_unpinned
        base = self.target(None, raw.model_dump(by_alias=False), data, raw.allow_unpinned)
        variants: dict[str, Target] = {}
        for vname, variant in raw.variants.items():
            merged = raw.model_dump(by_alias=False)
            overrides = variant.model_dump(exclude_none=True, by_alias=False)
            merged.update({k: v for k, v in overrides.items() if k != "vars"})
            merged["vars"] = {**raw.vars, **variant.vars}
            if "model" in overrides and "structured" not in overrides and not raw.structured:
                merged["structured"] = None  # follows the variant's model's server
            node = data["variants"][vname]
            allow = (
                variant.allow_unpinned if variant.allow_unpinned is not None else raw.allow_unpinned
            )
            variants[vname] = self.target(vname, merged, node, allow)

        targets = [base, *variants.values()]
        self.has_schema = any(t.schema_model is not None for t in targets)
        self.tool_names = {t.name for target in targets for t in target.tools}
        self.streams = any(t.stream for t in targets)
        suite_asserts = (
            [self.assertion(a, data["assert"], i) for i, a in enumerate(raw.assert_)]
            if raw.assert_
            else []
        )
        if raw.budget:
            line = data.key_lines.get("budget")
            for key, value in raw.budget.model_dump(exclude_none=True).items():
                spec = AssertionSpec(type=key, args=REGISTRY[key].args(max=value), line=line)
                try:
                    spec.check.validate(spec, self.context())
                except ArgumentError as exc:
                    raise self.fail(f"budget {key}: {exc}", line) from None
                suite_asserts.append(spec)

        cases, check_types = self.cases(raw, data, suite_asserts)
        return Suite(
            name=name,
            description=raw.description,
            path=self.path,
            settings=self.settings,
            base=base,
            variants=variants,
            repeat=raw.repeat if isinstance(raw.repeat, int) else raw.repeat.max,
            repeat_min=0 if isinstance(raw.repeat, int) else raw.repeat.min,
            case_threshold=raw.case_threshold,
            threshold=raw.threshold,
            confidence=raw.confidence,
            on_inconclusive=raw.on_inconclusive,
            cases=cases,
            check_types=check_types,
            prompts=self.prompts,
        )

    def target(
        self, variant: str | None, values: dict[str, Any], node: Any, allow_unpinned: bool
    ) -> Target:
        def line(key: str) -> int | None:
            return node.key_lines.get(key, node.line) if isinstance(node, LineDict) else None

        try:
            ref = PromptRef.parse(values["prompt"])
        except ValueError as exc:
            raise self.fail(str(exc), line("prompt")) from None
        try:
            self.prompts.require(ref)
            self.prompts.template(ref)  # a syntax error is the suite's problem now
        except ConfigError as exc:
            if exc.line:
                raise
            raise self.fail(exc.message, line("prompt")) from None
        model = values["model"]
        if not allow_unpinned and not is_pinned(model):
            raise self.fail(
                f"model {model!r} is not a pinned snapshot: {pin_hint(model)}, or set "
                "`allow_unpinned: true` to accept silent model upgrades",
                line("model"),
            )
        schema_model = None
        if values.get("schema_"):
            schema_model = self.schema(values["schema_"], line("schema"))
        tools = self.tools(values.get("tools") or [], node)
        choice = values.get("tool_choice")
        if choice is not None and not tools:
            raise self.fail(
                "tool_choice without tools: add `tools:` or remove it", line("tool_choice")
            )
        if isinstance(choice, dict):
            if set(choice) != {"name"}:
                raise self.fail(
                    "tool_choice is auto, required, none or {name: TOOL}", line("tool_choice")
                )
            if choice["name"] not in {t.name for t in tools}:
                known = ", ".join(t.name for t in tools)
                raise self.fail(
                    f"tool_choice names {choice['name']!r}, which is not a tool (tools: {known})",
                    line("tool_choice"),
                )
        return Target(
            variant=variant,
            prompt=ref,
            model=model,
            api=values["api"],
            params=values["params"],
            schema_ref=values.get("schema_"),
            schema_model=schema_model,
            structured=values.get("structured") or self.settings.structured_for(model),
            declared_structured=values.get("structured"),
            vars=values["vars"],
            tools=tuple(tools),
            tool_choice=choice,
            parallel_tool_calls=values.get("parallel_tool_calls"),
            max_turns=values.get("max_turns") or 8,
            stream=bool(values.get("stream")),
        )

    def tools(self, entries: list[Any], node: Any) -> list[Tool]:
        """`module:Model` references (strict function schemas made from pydantic models) or
        inline `{name, description, parameters}` functions."""
        seq = node.get("tools") if isinstance(node, LineDict) else None
        out: list[Tool] = []
        for index, entry in enumerate(entries):
            line = (
                seq.item_lines[index] if isinstance(seq, LineList) else getattr(node, "line", None)
            )
            tool = self.tool(entry, line)
            if any(t.name == tool.name for t in out):
                raise self.fail(f"two tools are named {tool.name!r}", line)
            out.append(tool)
        return out

    def tool(self, entry: Any, line: int | None) -> Tool:
        if isinstance(entry, str):
            model = self.schema(entry, line, what="tool")
            problems = strict_problems(model)
            if problems:
                problem = problems[0]
                raise ConfigError(
                    f"tool {entry!r}: field {problem.field} {problem.message}",
                    problem.file or self.path,
                    problem.line if problem.file else line,
                )
            tool = Tool.from_model(model)
        elif isinstance(entry, dict):
            unknown = set(entry) - set(RawTool.model_fields)
            if unknown:
                raise self.fail(f"tool: unknown field {sorted(unknown)[0]!r}", line)
            if not isinstance(entry.get("name"), str):
                raise self.fail("a tool needs a `name` (letters, digits, _ and -)", line)
            name = entry["name"]
            if not isinstance(entry.get("parameters", {}), dict):
                raise self.fail(f"tool {name!r}: parameters must be a JSON Schema object", line)
            import jsonschema  # imported when used: a heavy import at start-up

            try:
                raw = RawTool.model_validate(entry)
            except ValidationError as exc:
                error = located_error(exc, entry, self.path, prefix=f"tool {name!r}: ", line=line)
                raise ConfigError(
                    error.message.replace(
                        "Input should be a valid boolean", "must be true or false"
                    ),
                    error.file,
                    error.line,
                ) from None
            parameters = raw.parameters
            try:
                jsonschema.Draft202012Validator.check_schema(parameters)
            except jsonschema.SchemaError as exc:
                raise self.fail(
                    f"tool {name!r}: invalid JSON Schema: {exc.message}", line
                ) from None
            tool = Tool(
                name=raw.name,
                description=raw.description or "",
                parameters=dict(parameters),
                strict=raw.strict,
            )
        else:
            raise self.fail(
                f"a tool is a `module:Model` reference or a mapping with name and parameters, got {entry!r}",
                line,
            )
        if not valid_tool_name(tool.name):
            raise self.fail(
                f"tool name {tool.name!r}: use 1 to 64 letters, digits, '_' or '-'", line
            )
        return tool

    def schema(self, ref: str, line: int | None, what: str = "schema") -> type[BaseModel]:
        try:
            obj = import_object(ref)
        except ValueError as exc:
            raise self.fail(
                f"{what} {ref!r}: {exc} (imports resolve from the project root {self.settings.root})",
                line,
            ) from None
        if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
            raise self.fail(f"{what} {ref!r} is not a pydantic model class", line)
        try:
            obj.model_json_schema()
        except Exception as exc:  # a field of a type pydantic cannot describe
            raise self.fail(
                f"{what} {ref!r} has no JSON Schema ({type(exc).__name__}: {exc}); use "
                "JSON-compatible field types",
                line,
            ) from None
        return obj

    def context(self) -> LoadContext:
        return LoadContext(
            self.settings,
            self.prompts,
            allow_unpinned=self.allow_unpinned,
            has_schema=self.has_schema,
            tools=frozenset(self.tool_names),
            streams=self.streams,
            path=self.path,
        )

    def assertion(self, raw: Any, seq: Any, index: int, file: Path | None = None) -> AssertionSpec:
        line = seq.item_lines[index] if isinstance(seq, LineList) else getattr(seq, "line", None)

        def key_line(key: Any) -> int | None:
            return raw.key_lines.get(key, line) if isinstance(raw, LineDict) else line

        if isinstance(raw, str):
            raw = {"type": raw}
        if not isinstance(raw, dict):
            raise self.fail(
                f"an assertion is a type name or a mapping with `type:`, got {raw!r}", line, file
            )
        body = dict(raw)
        kind = body.pop("type", None)
        if kind is None:
            raise self.fail("assertion has no `type:`", line, file)
        if not isinstance(kind, str) or kind not in REGISTRY:
            known = ", ".join(sorted(REGISTRY))
            raise self.fail(f"unknown assertion type {kind!r}; known types: {known}", line, file)
        check = REGISTRY[kind]
        common: dict[str, Any] = {"type": kind, "line": line}
        for key, target in _COMMON.items():
            if key in body:
                common[target] = body.pop(key)
        if common.get("threshold") is not None and not (check.scored or check.own_threshold):
            raise self.fail(
                f"`threshold` does not apply to {kind!r}: only scored checks take one "
                f"({', '.join(threshold_types())})",
                key_line("threshold"),
                file,
            )
        try:
            spec = AssertionSpec(args=None, **common)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else ""
            written = {v: k for k, v in _COMMON.items()}.get(field, field)
            raise self.fail(
                f"assertion {kind!r}: {written}: {err['msg']}", key_line(written), file
            ) from None
        try:
            args = check.args.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            message = (
                f"unknown argument {field!r}"
                if err["type"] == "extra_forbidden"
                else err["msg"].removeprefix("Value error, ")
            )
            if err["type"] == "missing":
                message = f"missing argument {field!r}"
            elif field and err["type"] != "extra_forbidden":
                message = f"{field}: {message}"
            arg_line = key_line(err["loc"][0]) if err["loc"] else line
            raise self.fail(
                f"bad arguments for assertion {kind!r}: {message}", arg_line, file
            ) from None
        spec = spec.model_copy(update={"args": args})
        try:
            check.validate(spec, self.context())
        except ArgumentError as exc:
            raise self.fail(str(exc), key_line(exc.key) if exc.key else line, file) from None
        return spec

    def cases(
        self, raw: RawSuite, data: LineDict, suite_asserts: list[AssertionSpec]
    ) -> tuple[CaseList[Case], frozenset[str]]:
        """The suite's cases, and every check type they hold."""
        out: CaseList[Case] = CaseList(
            lambda row, file, line: self.case(row, file, line, suite_asserts)
        )
        seen: dict[str, tuple[Path, int | None]] = {}
        types: set[str] = set()
        case_nodes: LineList = data["cases"]
        for index, node in enumerate(case_nodes):
            line = case_nodes.item_lines[index]
            as_rows = False  # JSONL and CSV rows rebuild the same case from their JSON
            if isinstance(node, LineDict) and "cases_from" in node:
                try:
                    ref = RawCasesFrom.model_validate(node)
                except ValidationError as exc:
                    raise located_error(exc, node, self.path, prefix=f"cases.{index}.") from None
                rows = self.cases_from(ref, node.key_lines.get("cases_from", line))
                as_rows = Path(ref.cases_from).suffix.lower() in (".jsonl", ".csv")
            else:
                rows = [(node, self.path, line)]
            for row, file, row_line in rows:
                case = self.case(row, file, row_line, suite_asserts)
                if case.id in seen:
                    first_file, first_line = seen[case.id]
                    raise self.fail(
                        f"duplicate case id {case.id!r} (first at {first_file}:{first_line})",
                        row_line,
                        file,
                    )
                seen[case.id] = (file, row_line)
                types.update(a.type for a in case.asserts)
                out.add(case, row if as_rows else None)
        return out, frozenset(types)

    def case(
        self, row: Any, file: Path, line: int | None, suite_asserts: list[AssertionSpec]
    ) -> Case:
        if not isinstance(row, dict):
            raise self.fail(
                f"a case is a mapping with id, vars, expect, assert; got {row!r}", line, file
            )
        try:
            spec = RawCase.model_validate(row)
        except ValidationError as exc:
            error = located_error(exc, row, file, prefix="case ", line=line)
            raise _suite_level_hint(exc, error) from None
        case_id = str(spec.id).strip()
        if not case_id:
            raise self.fail("case id is empty", line, file)
        asserts = list(suite_asserts)
        expect_line = row.key_lines.get("expect", line) if isinstance(row, LineDict) else line
        for field, value in spec.expect.items():
            asserts.append(
                AssertionSpec(
                    type="equals",
                    path=str(field),
                    args=REGISTRY["equals"].args(value=value),
                    line=expect_line,
                )
            )
        seq = row.get("assert", [])
        asserts += [
            self.assertion(a, seq if isinstance(seq, LineList) else row_lines(seq, line), i, file)
            for i, a in enumerate(spec.assert_)
        ]
        script = None
        if spec.tool_results is not None:
            results_seq = row.get("tool_results") if isinstance(row, LineDict) else None
            scripted = []
            for index, item in enumerate(spec.tool_results):
                item_line = (
                    results_seq.item_lines[index] if isinstance(results_seq, LineList) else line
                )
                if item.name not in self.tool_names:
                    known = ", ".join(sorted(self.tool_names)) or "none"
                    raise self.fail(
                        f"tool_results names {item.name!r}, which is not a tool of the suite (tools: {known})",
                        item_line,
                        file,
                    )
                scripted.append(ScriptedResult(item.name, item.result, item.args, item_line))
            script = Script(tuple(scripted))
        written = {a.type for a in asserts}
        asserts += [spec for replaced_by, spec in self.implicit() if not written & replaced_by]
        return Case(
            id=case_id,
            description=spec.description,
            vars=spec.vars,
            asserts=tuple(asserts),
            file=file,
            line=line,
            tool_results=script,
            history=tuple(m.model_dump(exclude_none=True) for m in spec.history),
        )

    def cases_from(
        self, spec: RawCasesFrom, line: int | None
    ) -> list[tuple[Any, Path, int | None]]:
        from .evals_samples import evals_rows, is_evals_samples

        ref = spec.cases_from
        path = resolved(self.path.parent / ref, "cases_from file")
        if not is_regular(path, "cases file"):
            raise self.fail(
                f"cases_from file not found: {path} (paths are relative to the suite file)", line
            )
        suffix = path.suffix.lower()
        evals = spec.format == "openai-evals" or (spec.format is None and is_evals_samples(path))
        if evals:
            rows: list[tuple[Any, Path, int | None]] = list(evals_rows(path, spec.match))
        elif suffix == ".jsonl":
            rows = jsonl_rows(path)
        elif suffix == ".csv":
            rows = csv_rows(path)
        elif suffix in (".yaml", ".yml"):
            data = load_yaml(path)
            if not isinstance(data, LineList):
                raise self.fail("a YAML cases file must be a list of cases", 1, path)
            rows = [(row, path, data.item_lines[i]) for i, row in enumerate(data)]
        else:
            raise self.fail(
                f"cases_from {ref!r}: unsupported file type {suffix!r}; use .jsonl, .csv or .yaml",
                line,
            )
        if not rows:
            raise self.fail(
                f"cases_from {ref!r}: the file holds no case (an empty file tests nothing)", line
            )
        return rows


def load_suite(path: str | Path, settings: Settings | None = None) -> Suite:
    """Load and validate one suite file (raises :class:`ConfigError` with file and line)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"suite file not found: {path}")
    if settings is None:
        settings = load_settings(find_root(path))
    activate_root(settings.root)
    return SuiteLoader(path, settings).load()


SUITE_LEVEL = frozenset(
    field.alias or name
    for model in (RawSuite, RawVariant)
    for name, field in model.model_fields.items()
)


def _suite_level_hint(exc: ValidationError, error: ConfigError) -> ConfigError:
    """A case given a suite or variant setting (``stream:``, ``model:``, ``repeat:``) is told
    where that setting goes, not only that the field is unknown."""
    first = exc.errors()[0]
    field = str(first["loc"][-1]) if first["loc"] else ""
    if first["type"] != "extra_forbidden" or field not in SUITE_LEVEL:
        return error
    return ConfigError(
        f"{error.message}: `{field}` is a suite or variant setting, not a case's: set it at "
        "the suite's top level, or in a variant (`variants: {NAME: {" + field + ": ...}}`) "
        "and run the case under it",
        error.file,
        error.line,
    )


def parse_assertions(raw: list[Any], where: Path, settings: Settings) -> list[AssertionSpec]:
    """Assertions written in Python (``"schema"``, ``{"type": "contains", ...}``), validated
    exactly as a suite's are; errors name ``where`` (the calling test file)."""
    loader = SuiteLoader(where, settings)
    return [loader.assertion(item, raw, index) for index, item in enumerate(raw)]
