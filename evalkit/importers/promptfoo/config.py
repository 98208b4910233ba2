"""``evalkit import promptfoo``: a promptfooconfig.yaml → evalkit suites, prompts and checks.

The config is read as promptfoo reads it (prompts from strings, files, globs, chat JSON and
label maps; OpenAI providers with their config; tests inline or from CSV/JSON/JSONL/YAML;
``defaultTest``; array vars expanded into cases; ``file://`` vars; ``$ref`` templates), then
written as evalkit's project files:

- one prompt (named after the config) with a version per promptfoo prompt, in Jinja;
- one suite per provider family (chat, responses, and each distinct tool set): the first
  prompt × model is the suite, every other combination a variant;
- a schema module per ``response_format`` JSON Schema, a module of generated checks;
- inline tests inline, tests from files as a cases file.

Everything not carried over is reported (terminal and suite header) with its file and line.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError
from ...io.yamlfile import LineDict, load_yaml
from ..report import Report
from ..sources import key_line
from ..writer import ImportPlan, slug
from .assertions import AssertionMapper
from .context import ImportContext, Part
from .prompts import PromptReader
from .provider_ids import Pins
from .providers import ProviderReader
from .suites import SuiteBuilder
from .tests import TestReader

_TOP_KEYS_USED = {
    "description",
    "prompts",
    "providers",
    "targets",
    "tests",
    "defaultTest",
    "assertionTemplates",
    "evaluateOptions",
    "scenarios",
}
_TOP_KEYS_HINTS = {
    "redteam": "evalkit has no red-teaming; keep running promptfoo for it",
    "env": "evalkit reads the environment only for OPENAI_API_KEY / OPENAI_BASE_URL; export them instead",
    "nunjucksFilters": "compute the filtered values into the cases' vars",
    "extensions": "evalkit has no hooks; run setup code in a pytest fixture (pytest --evalkit)",
    "outputPath": "evalkit writes every run to .evalkit/runs/ (see `evalkit report`)",
    "sharing": "evalkit shares results as files (evalkit report --html)",
    "tags": "evalkit suites have no tags; use the description",
    "metadata": "evalkit suites have no metadata; use the description",
    "writeLatestResults": "evalkit writes every run to .evalkit/runs/",
    "tracing": "evalkit records no traces",
    "derivedMetrics": "evalkit reports pass rates, cost and latency per suite; compute others from results.jsonl",
    "commandLineOptions": "pass evalkit's own flags instead",
    "$schema": "",
}


class PromptfooImporter(Part):
    """Reads one config and plans the project files; everything it finds goes into the
    context's report."""

    def __init__(self, config: Path, pins: Pins):
        super().__init__(ImportContext.for_config(config, pins))
        self.prompt_reader = PromptReader(self.context)
        self.provider_reader = ProviderReader(self.context)
        self.test_reader = TestReader(self.context)
        self.suite_builder = SuiteBuilder(self.context, self.provider_reader)

    def run(self) -> ImportPlan:
        if not self.config.is_file():
            raise ConfigError(f"config file not found: {self.config}")
        data = load_yaml(self.config)
        if not isinstance(data, LineDict):
            raise ConfigError(
                "a promptfoo config is a YAML mapping (prompts:, providers:, tests:)",
                self.config,
                1,
            )
        description = data.get("description")
        if isinstance(description, str) and description.strip():
            self.context.rename(slug(description, self.context.project))
        for key in data:
            if key in _TOP_KEYS_USED:
                continue
            line = data.key_lines.get(key)
            if key in _TOP_KEYS_HINTS:
                if key == "nunjucksFilters" and isinstance(data[key], dict):
                    self.context.custom_filters = frozenset(data[key])
                if key == "$schema":
                    continue
                self.leave_out(line, f"`{key}`", _TOP_KEYS_HINTS[key])
            else:
                self.leave_out(
                    line,
                    f"unknown key `{key}`",
                    "check its meaning in promptfoo's docs; evalkit has no equivalent",
                )
        templates = data.get("assertionTemplates") or {}
        if not isinstance(templates, dict):
            raise ConfigError(
                "assertionTemplates must be a mapping",
                self.config,
                data.key_lines.get("assertionTemplates"),
            )
        self.context.mapper = AssertionMapper(
            self.report, self.context.checks, self.pins, dict(templates)
        )

        prompts = self.prompt_reader.prompts(
            data.get("prompts", "{{prompt}}"), key_line(data, "prompts", 1)
        )
        providers_node = data.get("providers", data.get("targets"))
        if providers_node is None:
            raise ConfigError("the config has no `providers:`", self.config, 1)
        providers = self.provider_reader.providers(
            providers_node, key_line(data, "providers", key_line(data, "targets"))
        )
        repeat = self.evaluate_options(data)
        default = self.test_reader.default_test(data)
        self.context.default_origin = self.origin(
            key_line(default, "options", key_line(data, "defaultTest"))
        )
        tests = self.test_reader.tests(
            data.get("tests", []),
            key_line(data, "tests"),
            default,
            scenarios=data.get("scenarios"),
            scenarios_line=key_line(data, "scenarios"),
        )
        return self.suite_builder.plan(data, prompts, providers, tests, default, repeat)

    def evaluate_options(self, data: LineDict) -> int:
        options = data.get("evaluateOptions")
        repeat = 1
        if not isinstance(options, dict):
            return repeat
        for key, value in options.items():
            line = key_line(options, key)
            if key == "repeat" and isinstance(value, int) and value >= 1:
                repeat = value
            elif key == "maxConcurrency":
                self.leave_out(
                    line,
                    "evaluateOptions.maxConcurrency",
                    f"set `concurrency = {value}` under [tool.evalkit] or pass --concurrency",
                )
            elif key in ("cache", "showProgressBar"):
                self.leave_out(
                    line,
                    f"evaluateOptions.{key}",
                    "evalkit records answers instead of caching (replay mode)",
                )
            else:
                self.leave_out(line, f"evaluateOptions.{key}", "evalkit has no equivalent setting")
        return repeat


def import_promptfoo(config: Path, pins: Pins) -> tuple[ImportPlan, Report]:
    importer = PromptfooImporter(config, pins)
    plan = importer.run()
    return plan, importer.report


__all__ = ["PromptfooImporter", "import_promptfoo"]
