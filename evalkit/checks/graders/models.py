"""``score_model`` and ``label_model``: OpenAI's model graders, asked through the engine.

Fields as OpenAI names them (openai-python ``types/graders/score_model_grader.py`` and
``label_model_grader.py``): ``input`` (chat messages, ``role`` and ``content``; content a
string, or ``input_text`` / ``output_text`` / ``input_image`` parts, all templated),
``model``; ``range`` (default ``[0, 1]``), ``pass_threshold`` and ``sampling_params``
(``seed``, ``top_p``, ``temperature``, ``max_completions_tokens`` [sic],
``reasoning_effort``) for score_model; ``labels`` and ``passing_labels`` for label_model.

How the answer is asked for and read:

- score_model: OpenAI's graders guide ("Score model grader outputs") requests the format
  ``{"result": float, "steps": [{"description", "conclusion"}]}`` and truncates the result
  to ``range``. evalkit requests the same (steps first, so the model reasons before it
  scores) as a strict schema where the server allows it (``structured_for``), clamps to the
  range and passes when the score ≥ ``pass_threshold``. OpenAI scores a non-numeric answer 0;
  evalkit fails the check saying what came (the same verdict, with a reason).
- label_model: OpenAI says only that the model "must support structured outputs" and does
  not publish the format; evalkit asks for ``{"steps": [...], "result": <one of labels>}``
  with the labels as an enum, and passes when the label is one of ``passing_labels``.

The model is pinned like a judge's. Each call is recorded and replayed like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    create_model,
    field_validator,
    model_validator,
)

from ...config import Settings
from ...io.jsonfile import loads_value
from ...wire.messages import Message
from ...wire.request import Request, Wire, build_request
from ...wire.response import Response
from .. import CheckFailed, LoadContext, preview, register_check
from .base import (
    Grade,
    GraderArgs,
    GraderCheck,
    finite,
    label,
    passed,
    passes,
    require_pinned,
)
from .templates import Namespaces, check_template, render

MAX_MESSAGES = 50
MAX_LABELS = 100


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputText(_Part):
    type: Literal["input_text"]
    text: str

    @field_validator("text")
    @classmethod
    def _template(cls, v: str) -> str:
        return check_template(v)


class OutputText(_Part):
    type: Literal["output_text"]
    text: str

    @field_validator("text")
    @classmethod
    def _template(cls, v: str) -> str:
        return check_template(v)


class InputImage(_Part):
    type: Literal["input_image"]
    image_url: str
    detail: Literal["auto", "low", "high"] | None = None

    @field_validator("image_url")
    @classmethod
    def _template(cls, v: str) -> str:
        return check_template(v)


Part = Annotated[InputText | OutputText | InputImage, Discriminator("type")]


class GraderMessage(BaseModel):
    """One message of a model grader's prompt (OpenAI's ``EvalItem`` shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["user", "assistant", "system", "developer"]
    content: str | Part | list[Part | str] = Field(union_mode="left_to_right")
    type: Literal["message"] | None = None

    @field_validator("content")
    @classmethod
    def _templates(cls, v: Any) -> Any:
        if isinstance(v, str):
            return check_template(v)
        if isinstance(v, list):
            if not v:
                raise ValueError("content: give at least one part")
            return [check_template(p) if isinstance(p, str) else p for p in v]
        return v

    def parts(self) -> list[str | _Part]:
        content = self.content
        return list(content) if isinstance(content, list) else [content]


class SamplingParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    seed: int | None = None
    top_p: float | None = Field(None, ge=0, le=1)
    temperature: float | None = Field(None, ge=0, le=2)
    # OpenAI's field is spelled max_completions_tokens; the API parameter it sets is
    # max_completion_tokens (accepted here too)
    max_completions_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("seed", "top_p", "temperature", "reasoning_effort"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        tokens = self.max_completions_tokens or self.max_completion_tokens
        if tokens is not None:
            out["max_completion_tokens"] = tokens
        return out


class _ModelArgs(GraderArgs):
    input: list[GraderMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    model: str = Field(min_length=1, max_length=200)


class ScoreModelArgs(_ModelArgs):
    type: Literal["score_model"] = "score_model"
    range: tuple[float, float] = (0.0, 1.0)
    pass_threshold: float | None = None  # required, except inside a multi grader
    sampling_params: SamplingParams | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ScoreModelArgs:
        lo, hi = self.range
        finite(lo, "range")
        finite(hi, "range")
        finite(self.pass_threshold, "pass_threshold")
        if lo >= hi:
            raise ValueError(f"range [{lo:g}, {hi:g}]: the first number must be the smaller")
        if self.pass_threshold is not None and not lo < self.pass_threshold <= hi:
            raise ValueError(
                f"pass_threshold {self.pass_threshold:g} must lie in range ({lo:g}, {hi:g}]: "
                "otherwise every score passes, or none does"
            )
        return self


class LabelModelArgs(_ModelArgs):
    type: Literal["label_model"] = "label_model"
    labels: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=MAX_LABELS
    )
    passing_labels: list[str] = Field(min_length=1, max_length=MAX_LABELS)

    @model_validator(mode="after")
    def _subset(self) -> LabelModelArgs:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels: each label once")
        stray = [x for x in self.passing_labels if x not in self.labels]
        if stray:
            raise ValueError(
                f"passing_labels: {', '.join(map(repr, stray))} not among labels "
                f"({', '.join(map(repr, self.labels))})"
            )
        return self


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    conclusion: str


class ScoreResult(BaseModel):
    """The format OpenAI's score_model grader asks its model for."""

    model_config = ConfigDict(extra="forbid")
    steps: list[Step]
    result: float


@cache
def label_result(labels: tuple[str, ...]) -> type[BaseModel]:
    """``{"steps": [...], "result": <one of labels>}``, the labels as the schema's enum."""
    choice: Any = Literal[labels]  # a Literal built from data; pydantic makes it an enum
    model: type[BaseModel] = create_model(
        "LabelResult",
        __config__=ConfigDict(extra="forbid"),
        steps=(list[Step], ...),
        result=(choice, ...),
    )
    return model


def _image_url(url: str) -> str:
    if not url.startswith(("https://", "http://", "data:image/")):
        raise CheckFailed(
            f"input_image: {preview(url, 60)!r} is not an http(s) URL or a data:image URL"
        )
    return url


def render_messages(messages: Sequence[GraderMessage], ns: Namespaces) -> list[Message | Wire]:
    """The grader's prompt with its templates filled in: text-only messages as evalkit
    messages, messages with images in the chat API's own shape."""
    out: list[Message | Wire] = []
    for number, message in enumerate(messages, 1):
        where = f"input[{number}]"
        texts: list[str] = []
        wire: list[dict[str, Any]] = []
        for part in message.parts():
            if isinstance(part, InputImage):
                image: dict[str, Any] = {"url": _image_url(render(part.image_url, ns, where))}
                if part.detail:
                    image["detail"] = part.detail
                wire.append({"type": "image_url", "image_url": image})
                continue
            text = part if isinstance(part, str) else getattr(part, "text", "")
            rendered = render(text, ns, where)
            texts.append(rendered)
            wire.append({"type": "text", "text": rendered})
        if len(wire) > len(texts):
            out.append({"role": message.role, "content": wire})
        else:
            out.append(Message(message.role, texts[0] if len(texts) == 1 else tuple(texts)))
    return out


def _prompt_preview(messages: Sequence[Message | Wire]) -> str:
    last = messages[-1]
    if isinstance(last, Message):
        return preview(last.text, 80)
    return preview(" ".join(p.get("text", "[image]") for p in last["content"]), 80)


def _answer(response: Response, model: str) -> Any:
    """The grader model's answer as JSON (a fenced block is unwrapped)."""
    text = response.text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return loads_value(text)
    except (ValueError, RecursionError):
        raise CheckFailed(
            f"grader model {model} answered no JSON: {preview(text, 120)!r}"
        ) from None


def _reason(answer: Any) -> str:
    steps = answer.get("steps") if isinstance(answer, dict) else None
    if isinstance(steps, list) and steps and isinstance(steps[-1], dict):
        return str(steps[-1].get("conclusion", ""))
    return ""


class _ModelGrader(GraderCheck):
    def check_args(self, args: BaseModel, ctx: LoadContext) -> None:
        assert isinstance(args, _ModelArgs)
        require_pinned(args.model, ctx)

    def schema(self, args: BaseModel) -> type[BaseModel]:
        raise NotImplementedError

    def params(self, args: BaseModel) -> dict[str, Any]:
        return {}

    def requests(self, args: BaseModel, ns: Namespaces, settings: Settings | None) -> list[Request]:
        assert isinstance(args, _ModelArgs)
        return [
            build_request(
                model=args.model,
                api="chat",
                messages=render_messages(args.input, ns),
                params=self.params(args),
                schema=self.schema(args),
                structured=settings.structured_for(args.model) if settings else "json_schema",
            )
        ]

    def answered(self, args: _ModelArgs, ns: Namespaces, fetched: Sequence[Response]) -> Any:
        render_messages(args.input, ns)  # a template that cannot render says so first
        if len(fetched) != 1:
            raise CheckFailed(f"{self.name}: no answer was fetched (run it in a suite)")
        return _answer(fetched[0], args.model)


@register_check
class ScoreModel(_ModelGrader):
    name = "score_model"
    args = ScoreModelArgs
    doc = "OpenAI's score_model grader: a pinned model scores the output within `range`"

    def schema(self, args: BaseModel) -> type[BaseModel]:
        return ScoreResult

    def params(self, args: BaseModel) -> dict[str, Any]:
        assert isinstance(args, ScoreModelArgs)
        return args.sampling_params.body() if args.sampling_params else {}

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, ScoreModelArgs)
        answer = self.answered(args, ns, fetched)
        raw = answer.get("result") if isinstance(answer, dict) else answer
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw != raw:
            raise CheckFailed(
                f"{label('score_model', args)}: {args.model} gave no numeric result: "
                f"{preview(answer, 120)}"
            )
        lo, hi = args.range
        score = min(hi, max(lo, float(raw)))
        ok = passed(score, args.pass_threshold)
        reason = _reason(answer)
        prompt = _prompt_preview(render_messages(args.input, ns))
        return Grade(
            score,
            ok,
            f"{label('score_model', args)} {args.model}: score {score:g} in range "
            f"[{lo:g}, {hi:g}] {passes(score, args.pass_threshold)}"
            + (f": {preview(reason, 120)!r}" if reason else "")
            + f"; input {prompt!r}",
            (score - lo) / (hi - lo),
        )


@register_check
class LabelModel(_ModelGrader):
    name = "label_model"
    args = LabelModelArgs
    doc = "OpenAI's label_model grader: a pinned model picks a label; passing_labels pass"

    def schema(self, args: BaseModel) -> type[BaseModel]:
        assert isinstance(args, LabelModelArgs)
        return label_result(tuple(args.labels))

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, LabelModelArgs)
        answer = self.answered(args, ns, fetched)
        picked = answer.get("result") if isinstance(answer, dict) else answer
        if not isinstance(picked, str) or picked not in args.labels:
            raise CheckFailed(
                f"{label('label_model', args)}: {args.model} answered "
                f"{preview(picked, 60)}, not one of the labels {', '.join(args.labels)}"
            )
        ok = picked in args.passing_labels
        reason = _reason(answer)
        prompt = _prompt_preview(render_messages(args.input, ns))
        return Grade(
            1.0 if ok else 0.0,
            ok,
            f"{label('label_model', args)} {args.model}: label {picked!r} "
            f"{'is' if ok else 'is not'} among passing_labels "
            f"({', '.join(args.passing_labels)})"
            + (f": {preview(reason, 120)!r}" if reason else "")
            + f"; input {prompt!r}",
            1.0 if ok else 0.0,
        )
