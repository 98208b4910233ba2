"""What a suite file may hold, as written: the raw YAML shapes, validated by pydantic.

These models say which keys exist and their bounds (``repeat`` up to 1,000 samples, ``max_turns``
up to 50); :mod:`evalkit.project.loader` turns them into the typed :class:`~evalkit.project.suite.Suite`
that runs. Kept apart so the shape of the format reads in one place.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ..wire.request import Api, Structured

MAX_REPEAT = 1000
MAX_TURNS = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Budget(_Strict):
    input_tokens: int | None = Field(None, ge=0)
    output_tokens: int | None = Field(None, ge=0)
    cost_usd: float | None = Field(None, ge=0, allow_inf_nan=False)
    latency_ms: float | None = Field(None, ge=0, allow_inf_nan=False)
    ttft_ms: float | None = Field(None, ge=0, allow_inf_nan=False)
    turns: int | None = Field(None, ge=1)


ToolChoice = Literal["auto", "required", "none"] | dict[str, str]


class RawTool(_Strict):
    """An inline tool: a mapping with a name and a JSON Schema. Types are strict, so
    ``strict: "false"`` (a string, truthy in Python) is an error at its line, never a tool
    sent as strict; and a description is text, never a list turned into its repr."""

    name: StrictStr
    description: StrictStr | None = None
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: StrictBool = False


class RawToolResult(_Strict):
    name: str
    result: Any
    args: dict[str, Any] | None = None


class RawMessage(BaseModel):
    """An earlier turn (OpenAI's message format): kept as written, its role checked."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[Any] | None = None


class RawVariant(_Strict):
    prompt: str | None = None
    model: str | None = None
    api: Api | None = None
    params: dict[str, Any] | None = None
    schema_: str | None = Field(None, alias="schema")
    structured: Structured | None = None
    vars: dict[str, Any] = {}
    allow_unpinned: bool | None = None
    tools: list[Any] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_turns: int | None = Field(None, ge=1, le=MAX_TURNS)
    stream: bool | None = None


class RawCase(_Strict):
    id: str | int  # ints are allowed and used as text
    description: str = ""
    # factories, not `= {}`: pydantic deep-copies a mutable default for every case read
    vars: dict[str, Any] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(default_factory=dict)
    assert_: list[Any] = Field(default_factory=list, alias="assert")
    tool_results: list[RawToolResult] | None = None
    history: list[RawMessage] = Field(default_factory=list)


class RawCasesFrom(_Strict):
    cases_from: str
    format: Literal["evalkit", "openai-evals"] | None = None  # None: told by the content
    match: Literal["exact", "starts_with", "includes"] = "exact"  # openai-evals' ideal


class RawRepeat(_Strict):
    """``repeat: {min, max}``: sample a case until its verdict is settled (adaptive)."""

    min: int = Field(ge=1, le=MAX_REPEAT)
    max: int = Field(ge=1, le=MAX_REPEAT)

    @model_validator(mode="after")
    def _ordered(self) -> RawRepeat:
        if self.min > self.max:
            raise ValueError(f"repeat min ({self.min}) is above its max ({self.max})")
        return self


OnInconclusive = Literal["fail", "pass", "warn"]


class RawSuite(_Strict):
    suite: str | None = None
    description: str = ""
    prompt: str
    model: str
    allow_unpinned: bool = False
    api: Api = "chat"
    params: dict[str, Any] = {}
    schema_: str | None = Field(None, alias="schema")
    structured: Structured | None = None
    vars: dict[str, Any] = {}
    budget: Budget | None = None
    repeat: int | RawRepeat = 1  # read by _repeat: N, or {min, max}
    case_threshold: float = Field(1.0, ge=0, le=1, allow_inf_nan=False)
    threshold: float = Field(1.0, ge=0, le=1, allow_inf_nan=False)
    confidence: float = Field(0.95, ge=0.5, le=0.999, allow_inf_nan=False)
    on_inconclusive: OnInconclusive = "fail"
    assert_: list[Any] = Field([], alias="assert")
    cases: list[dict[str, Any]] = Field(min_length=1)
    variants: dict[str, RawVariant] = {}
    tools: list[Any] = []
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_turns: int = Field(8, ge=1, le=MAX_TURNS)
    stream: bool = False

    @field_validator("repeat", mode="before")
    @classmethod
    def _repeat(cls, value: Any) -> int | RawRepeat:
        """``repeat: 5`` or ``repeat: {min: 3, max: 30}``, with one message for either."""
        if isinstance(value, dict):
            try:
                return RawRepeat.model_validate(value)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                what = (
                    f"unknown field {where!r}"
                    if first["type"] == "extra_forbidden"
                    else f"{where}: {first['msg']}".strip(": ").removeprefix("Value error, ")
                )
                raise ValueError(f"{what} (repeat: {{min: 3, max: 30}})") from None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPEAT:
            raise ValueError(
                f"repeat is a number of samples from 1 to {MAX_REPEAT}, or {{min, max}} for "
                f"adaptive repeats, not {value!r}"
            )
        return value

    @field_validator("variants")
    @classmethod
    def _names(cls, value: dict[str, RawVariant]) -> dict[str, RawVariant]:
        for name in value:
            if not isinstance(name, str) or name == "base" or "=" in name or not name.strip():
                raise ValueError(
                    f"variant name {name!r} is reserved or invalid: `base` means the suite as "
                    "written and `key=value` an ad-hoc override; choose another name"
                )
        return value


# -- the loaded suite ----------------------------------------------------------
