"""A loaded suite: its cases, its base target and variants, its repeat and gate settings.

What :func:`evalkit.project.loader.load_suite` returns after every check has passed: a suite
that loads is a suite that can run. Frozen models, passed forward to planning, the engine and
both fronts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..checks import AssertionSpec
from ..config import Settings
from ..errors import ConfigError
from ..prompts import PromptRef, PromptStore
from ..wire.pinning import is_pinned, pin_hint
from ..wire.request import APIS, STRUCTURED, Api, Structured
from ..wire.tools import Script, Tool
from .caselist import CaseList
from .rawsuite import OnInconclusive, ToolChoice

__all__ = ["Case", "Suite", "Target"]


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    description: str = ""
    vars: dict[str, Any]
    asserts: tuple[AssertionSpec, ...]
    file: Path
    line: int | None = None
    tool_results: Script | None = None  # scripted: the case is a loop of model turns
    history: tuple[dict[str, Any], ...] = ()


class Target(BaseModel):
    """What a case is sent as: the suite's settings with one variant applied."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    variant: str | None
    prompt: PromptRef
    model: str
    api: Api
    params: dict[str, Any]
    schema_ref: str | None
    schema_model: type[BaseModel] | None
    structured: Structured
    vars: dict[str, Any]
    # what the suite or variant itself said (None: it follows its model's server); a
    # judge on a server without a `structured` entry of its own uses it
    declared_structured: Structured | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_turns: int = 8
    stream: bool = False

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)


_AD_HOC = {"prompt", "model", "api", "structured"}


class Suite(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    description: str
    path: Path
    settings: Settings
    base: Target
    variants: dict[str, Target]
    repeat: int  # samples per case at most (``repeat: N``, or an adaptive repeat's max)
    case_threshold: float
    threshold: float
    cases: CaseList[Case]  # big case files are held as rows (caselist.py)
    # every check type its cases hold, so a question about the checks (which models do
    # they call?) need not rebuild the cases held as rows to ask it
    check_types: frozenset[str]
    repeat_min: int = 0  # an adaptive repeat's min (0: a fixed ``repeat: N``)
    confidence: float = 0.95
    on_inconclusive: OnInconclusive = "fail"

    @property
    def adaptive(self) -> bool:
        return 0 < self.repeat_min < self.repeat

    @property
    def min_samples(self) -> int:
        return self.repeat_min if self.adaptive else self.repeat

    prompts: PromptStore = Field(exclude=True, repr=False)  # shared: templates compile once

    def _ad_hoc(self, spec: str) -> Target:
        updates: dict[str, Any] = {"variant": spec}
        for part in spec.split(","):
            key, _, value = (x.strip() for x in part.partition("="))
            if key not in _AD_HOC or not value:
                raise ConfigError(
                    f"ad-hoc variant {spec!r}: use key=value with keys {', '.join(sorted(_AD_HOC))}"
                )
            if key == "prompt":
                try:
                    ref = PromptRef.parse(value)
                    self.prompts.require(ref)
                except ValueError as exc:
                    raise ConfigError(f"ad-hoc variant {spec!r}: {exc}") from None
                except ConfigError as exc:
                    raise ConfigError(f"ad-hoc variant {spec!r}: {exc.message}") from None
                updates["prompt"] = ref
            elif key == "model" and not is_pinned(value):
                raise ConfigError(
                    f"ad-hoc variant {spec!r}: model {value!r} is not a pinned snapshot: "
                    f"{pin_hint(value)}"
                )
            elif key == "api" and value not in APIS:
                raise ConfigError(f"ad-hoc variant {spec!r}: api must be chat or responses")
            elif key == "structured" and value not in STRUCTURED:
                raise ConfigError(
                    f"ad-hoc variant {spec!r}: structured must be json_schema, json_object or prompt"
                )
            else:
                updates[key] = value
        return self.base.model_copy(update=updates)

    def target(self, variant: str | None) -> Target:
        """A named variant, ``base`` (the suite as written), or an ad-hoc override such as
        ``prompt=triage@v3`` or ``model=gpt-5-mini-2025-08-07,api=responses``."""
        if variant is None or variant == "base":
            return self.base
        if "=" in variant:
            return self._ad_hoc(variant)
        if variant not in self.variants:
            known = ", ".join(self.variants) or "none defined"
            raise ConfigError(
                f"suite {self.name!r} has no variant {variant!r} (variants: {known})", self.path, 1
            )
        return self.variants[variant]

    def has_variant(self, variant: str | None) -> bool:
        """Whether ``variant`` applies to this suite (``base`` and ad-hoc ones always do)."""
        return variant is None or variant == "base" or "=" in variant or variant in self.variants


# -- loading -------------------------------------------------------------------
