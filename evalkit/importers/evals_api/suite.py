"""Putting an eval, its run and its items together into the planned suite, prompt and cases.

The run decides what a case sends (its model, prompt and params) and the eval how it is
graded. Rules:

- the model is the run's (``data_source.model``, else the run's ``model``), pinned as
  written; an alias is kept with ``allow_unpinned`` and the pinning hint in the report, and
  a snapshot with an announced shutdown says when and what to try instead;
- ``sampling_params`` ``temperature``, ``top_p``, ``seed`` and ``max_completion_tokens``
  become request params (``max_output_tokens`` for a ``responses`` run), ``response_format``
  is sent as written; ``tools`` and anything else are listed as not carried;
- items come from ``--items`` when given, else the run's ``file_content``; a ``file_id``
  source names the download command;
- without ``input_messages`` (no run, a ``jsonl`` run) the prompt is a starting point
  (the item's ``input``, or its text fields) and the report says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...prompts import PromptRef
from ...wire.lifecycle import SUGGESTED, known_shutdown
from ...wire.pinning import is_pinned, pin_hint
from ..openai_evals import DEFAULT_MODEL, GENERIC_TEMPLATE
from ..report import Report
from ..sources import plain
from ..writer import ImportPlan, slug
from ..yamlout import document
from .graders import convert_criteria
from .objects import Item, Located, expect_object, item_of, items_jsonl, read_object
from .prompt import Template, from_reference, from_template

DATA_SOURCES = ("completions", "responses", "jsonl")
PARAMS = ("temperature", "top_p", "seed")
MAX_ID_CHARS = 40


def build(
    eval_path: Path,
    run_path: Path | None,
    items_path: Path | None,
    suite: str | None,
    model: str | None,
) -> tuple[ImportPlan, Report]:
    report = Report()
    ev = read_object(eval_path, "the eval")
    expect_object(eval_path, ev, "eval", "the eval")
    run = read_object(run_path, "the run") if run_path else None
    if run is not None and run_path is not None:
        expect_object(run_path, run, "eval.run", "the run")
    name = slug(suite or str(ev.value.get("name") or ev.value.get("id") or ""), "")
    if not name:
        raise ConfigError(
            "the eval has no name with letters or digits: give the suite one with --suite",
            eval_path,
            ev.line("name").line,
        )
    _data_source_config(ev, report)
    converted = convert_criteria(ev, report)
    source = _Run(run, report) if run else None
    items = items_jsonl(items_path) if items_path else (source.items if source else [])
    if items_path and source and source.items:
        report.note(
            source.where,
            f"the run's {len(source.items)} file_content items are replaced by --items",
        )
    if not items:
        raise ConfigError(
            "no items to make cases from: "
            + (source.no_items if source and source.no_items else "pass them with --items")
            + ' (ITEMS.jsonl: one {"item": {...}} per line)',
            (run_path or eval_path),
        )
    if any(i.sample is not None for i in items):
        report.note(
            next(i.origin for i in items if i.sample is not None),
            "the samples the hosted run made are not carried: evalkit makes its own from the "
            "prompt and model (record them with `evalkit record`)",
        )
    template = source.template if source and source.template else None
    if template is None:
        template = _starting_prompt(items)
        report.leave_out(
            (source.where if source else ev.line()),
            "no input_messages (no run, or a run that graded samples made elsewhere): the "
            f"prompt prompts/{name}/v1.j2 is a starting point",
            "edit it to the messages your application sends",
        )
    for problem in template.problems:
        report.leave_out(problem.origin, problem.what, problem.fix)
    chosen = (source.model if source else None) or model or DEFAULT_MODEL
    where = source.model_where if source and source.model else ev.line()
    if not (source and source.model) and not model:
        report.note(where, f"no model in the run: the suite tests {DEFAULT_MODEL} (--model)")
    plan = ImportPlan(project_name=name)
    plan.add("prompts", f"{name}/v1.j2", template.text)
    plan.prompts.append(PromptRef(name, "v1"))
    plan.add("suites", f"cases/{name}.jsonl", _cases(items))
    extra: list[str] = []
    body: dict[str, Any] = {"suite": name, "prompt": f"{name}@v1", "model": chosen}
    if source and source.api == "responses":
        body["api"] = "responses"
    unpinned = [m for m in [chosen, *converted.unpinned] if not is_pinned(m)]
    if unpinned:
        for m in unpinned[:1]:
            if m == chosen:
                report.note(where, f"the run's model {m!r} is not a dated snapshot: {pin_hint(m)}")
        extra.append(
            f"# allow_unpinned: {', '.join(unpinned)} can change under you without a commit; "
            f"pin dated snapshots ({pin_hint(unpinned[0])})."
        )
        body["allow_unpinned"] = True
    _retiring(chosen, where, report)
    body["params"] = source.params if source else {"temperature": 0}
    if converted.checks:
        body["assert"] = converted.checks
    body["cases"] = [{"cases_from": f"cases/{name}.jsonl"}]
    header = [
        f"# Imported from {eval_path.name}"
        + (f" and {run_path.name}" if run_path else "")
        + " by `evalkit import openai-evals-api`.",
        *report.comment_lines(eval_path.resolve().parent),
        *extra,
    ]
    plan.add("suites", f"{name}.yaml", document(body, header))
    return plan, report


def _retiring(model: str, where: Any, report: Report) -> None:
    day = known_shutdown(model)
    if day is not None:
        instead = SUGGESTED.get(model)
        report.note(
            where,
            f"{model} shuts down on {day.isoformat()}"
            + (f": try {instead} in a variant and compare with `evalkit diff`" if instead else ""),
        )


def _data_source_config(ev: Located, report: Report) -> None:
    config = ev.value.get("data_source_config")
    kind = config.get("type") if isinstance(config, dict) else None
    if kind in ("logs", "stored_completions"):
        report.leave_out(
            ev.line("data_source_config", "type"),
            f"data_source_config.type {kind}: the eval read completions logged on OpenAI, "
            "which stay there",
            "export the rows you want as ITEMS.jsonl and pass --items",
        )
    elif kind not in (None, "custom"):
        report.leave_out(
            ev.line("data_source_config", "type"),
            f"data_source_config.type {str(kind)[:40]!r} is not known",
            "pass the data with --items",
        )
    if isinstance(config, dict) and (config.get("item_schema") or config.get("schema")):
        key = "item_schema" if config.get("item_schema") else "schema"
        report.note(
            ev.line("data_source_config", key),
            f"data_source_config.{key} is not enforced: evalkit check fails a case whose "
            "prompt or checks name a missing field",
        )


class _Run:
    """What a run's ``data_source`` gives: items, template, model, params, api."""

    def __init__(self, run: Located, report: Report):
        self.run, self.report = run, report
        self.where = run.line()
        self.items: list[Item] = []
        self.no_items = ""
        self.template: Template | None = None
        self.params: dict[str, Any] = {}
        ds = run.value.get("data_source")
        if not isinstance(ds, dict):
            raise ConfigError(
                "the run has no data_source object: export the run as GET "
                "/v1/evals/{eval_id}/runs/{run_id} returns it",
                run.origin.file,
                run.line("data_source").line,
            )
        self.kind = ds.get("type")
        if self.kind not in DATA_SOURCES:
            raise ConfigError(
                f"data_source.type {str(self.kind)[:40]!r} is not one of {', '.join(DATA_SOURCES)}",
                run.origin.file,
                run.line("data_source", "type").line,
            )
        self.api = "responses" if self.kind == "responses" else "chat"
        model = ds.get("model") or run.value.get("model")
        self.model = str(model) if isinstance(model, str) and model else None
        self.model_where = (
            run.line("data_source", "model") if ds.get("model") else run.line("model")
        )
        self._source(ds.get("source"))
        self._messages(ds.get("input_messages"))
        self._sampling(ds.get("sampling_params"))
        if self.kind == "jsonl":
            report.note(
                run.line("data_source", "type"),
                "a jsonl run graded samples made elsewhere; the suite makes them with the model",
            )
        for key in ds:
            if key not in ("type", "source", "input_messages", "model", "sampling_params"):
                report.leave_out(
                    run.line("data_source", key),
                    f"data_source.{str(key)[:40]} is not carried",
                    "add it to the suite's params by hand if it changes the request",
                )

    def _source(self, source: Any) -> None:
        at = ("data_source", "source")
        kind = source.get("type") if isinstance(source, dict) else None
        if kind == "file_content":
            content = source.get("content")
            if not isinstance(content, list):
                raise ConfigError(
                    "data_source.source.content is not a list of items",
                    self.run.origin.file,
                    self.run.line(*at, "content").line,
                )
            self.items = [
                item_of(row, self.run.line(*at, "content", i)) for i, row in enumerate(content)
            ]
        elif kind == "file_id":
            file_id = str(source.get("id", ""))[:80]
            self.no_items = (
                f"the run's items are in the OpenAI file {file_id!r}; download them "
                f"(GET /v1/files/{file_id}/content) and pass --items"
            )
            self.report.leave_out(
                self.run.line(*at), f"data_source.source is file_id {file_id!r}", self.no_items
            )
        elif source is not None:
            self.no_items = "pass them with --items"
            self.report.leave_out(
                self.run.line(*at),
                f"data_source.source type {str(kind)[:40]!r} (completions or responses stored "
                "on OpenAI) is not carried",
                "export the rows as ITEMS.jsonl and pass --items",
            )

    def _messages(self, messages: Any) -> None:
        at: tuple[str | int, ...] = ("data_source", "input_messages")
        kind = messages.get("type") if isinstance(messages, dict) else None
        if kind == "template":
            self.template = from_template(self.run, (*at, "template"), messages.get("template"))
        elif kind == "item_reference":
            self.template = from_reference(self.run, at, messages.get("item_reference"))
        elif messages is not None:
            self.report.leave_out(
                self.run.line(*at),
                f"data_source.input_messages type {str(kind)[:40]!r} is not known",
                "write the prompt by hand",
            )

    def _sampling(self, params: Any) -> None:
        at = ("data_source", "sampling_params")
        if params is None:
            self.params = {"temperature": 0}
            self.report.note(self.run.line(), "no sampling_params: the suite sends temperature 0")
            return
        if not isinstance(params, dict):
            self.report.leave_out(self.run.line(*at), "sampling_params is not an object", "")
            return
        for key, value in params.items():
            if value is None:
                continue
            if key in PARAMS:
                self.params[key] = plain(value)
            elif key in ("max_completion_tokens", "max_completions_tokens"):
                tokens = "max_output_tokens" if self.api == "responses" else "max_completion_tokens"
                self.params[tokens] = plain(value)
            elif key == "response_format" and self.api == "chat":
                self.params["response_format"] = plain(value)
            elif key == "tools":
                self.report.leave_out(
                    self.run.line(*at, key),
                    "sampling_params.tools are not carried",
                    "declare the tools in the suite (`tools:`, see the tools guide)",
                )
            else:
                self.report.leave_out(
                    self.run.line(*at, key),
                    f"sampling_params.{str(key)[:40]} is not carried",
                    "add it to the suite's params if your requests need it",
                )


def _starting_prompt(items: list[Item]) -> Template:
    first = items[0].item
    if all(isinstance(i.item.get("input"), str) for i in items):
        return Template('{% message "user" %}\n{{ input }}\n{% endmessage %}\n', {"input"})
    if all(isinstance(i.item.get("input"), list) for i in items):
        return Template(GENERIC_TEMPLATE.replace("messages", "input", 1), {"input"})
    keys = [k for k, v in first.items() if isinstance(v, str) and k.isidentifier()][:10]
    lines = "\n".join(f"{k}: {{{{ {k} }}}}" for k in keys) or "(write the prompt here)"
    return Template(f'{{% message "user" %}}\n{lines}\n{{% endmessage %}}\n', set(keys))


def _cases(items: list[Item]) -> str:
    rows: list[str] = []
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        given = item.item.get("id")
        text = next((v for v in item.item.values() if isinstance(v, str)), "")
        base = slug(str(given), "") if isinstance(given, (str, int)) else ""
        base = base or f"{number:03d}-{slug(text, 'item')[:MAX_ID_CHARS]}".rstrip("-")
        identifier, n = base, 2
        while identifier in seen:
            identifier, n = f"{base}-{n}", n + 1
        seen.add(identifier)
        rows.append(json.dumps({"id": identifier, "vars": plain(item.item)}, ensure_ascii=False))
    return "".join(row + "\n" for row in rows)
