"""``text_similarity``: OpenAI's similarity grader; passes when the score ≥ pass_threshold.

Fields as OpenAI names them (openai-python ``types/graders/text_similarity_grader.py``, and
``pass_threshold`` from the evals API's testing criterion, where it is required):
``input``, ``reference`` (templates), ``evaluation_metric``, ``pass_threshold``. Where each
metric's definition comes from is said in :mod:`.metrics`.

``cosine`` is the cosine similarity of the two texts' embeddings. OpenAI's guide says it
embeds with ``text-embedding-3-large``, so that is the default here too (a threshold tuned
on OpenAI then means the same thing); ``model`` (an evalkit addition) names another
embeddings model, e.g. one a local server serves. The embeddings are requested through the
engine like the ``similar`` check's, so they are recorded and replayed.

The local metrics compare texts of at most 10,000 characters each: a grade runs inside the
engine's loop, and rouge_l's time grows with the product of the two lengths (two texts of
5,000 words take many seconds). A longer text fails the check saying so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ...config import Settings
from ...wire.request import Request, embedding_request
from ...wire.response import Response
from .. import ArgumentError, CheckFailed, LoadContext, preview, register_check
from .base import (
    Grade,
    GraderArgs,
    GraderCheck,
    compared,
    finite,
    label,
    passed,
    passes,
    unit_score,
)
from .metrics import INSTALL, Metric, missing_library, similarity
from .templates import Namespaces, check_template, render

COSINE_MODEL = "text-embedding-3-large"
MAX_TEXT_CHARS = 10_000  # about 1,700 words: rouge_l's LCS table is then ~3M cells


class TextSimilarityArgs(GraderArgs):
    type: Literal["text_similarity"] = "text_similarity"
    input: str
    reference: str
    evaluation_metric: Metric
    pass_threshold: float | None = None  # required, except inside a multi grader
    model: str = Field(COSINE_MODEL, min_length=1)  # cosine only: the embeddings model

    def called_models(self) -> list[str]:
        """Only cosine calls a model (``evalkit models`` lists it)."""
        return [self.model] if self.evaluation_metric == "cosine" else []

    @field_validator("input", "reference")
    @classmethod
    def _template(cls, v: str) -> str:
        return check_template(v)

    @field_validator("pass_threshold")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        return finite(v, "pass_threshold")


def vector(response: Response, text: str) -> list[float]:
    """The one embedding of ``text``; CheckFailed naming what the server sent instead."""
    said = f"the embeddings server ({response.model or 'unknown model'})"
    vectors = response.embeddings
    if len(vectors) != 1:
        raise CheckFailed(f"cosine: {said} answered {len(vectors)} vectors for one text")
    got = vectors[0]
    if not isinstance(got, list) or not got or any(isinstance(x, list) for x in got):
        raise CheckFailed(
            f"cosine: {said} answered no single vector for {preview(text, 40)!r} "
            "(a server must pool each text into one vector)"
        )
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in got):
        raise CheckFailed(f"cosine: {said} answered a vector that is not all numbers")
    return [float(x) for x in got]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        raise CheckFailed(f"cosine: the embeddings have different lengths ({len(a)}, {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@register_check
class TextSimilarity(GraderCheck):
    name = "text_similarity"
    args = TextSimilarityArgs
    doc = "OpenAI's text_similarity grader: fuzzy_match, bleu, gleu, meteor, cosine, rouge_*"

    def check_args(self, args: BaseModel, ctx: LoadContext) -> None:
        assert isinstance(args, TextSimilarityArgs)
        library = missing_library(args.evaluation_metric)
        if library:
            raise ArgumentError(
                f"evaluation_metric {args.evaluation_metric} needs the {library} library: "
                f"{INSTALL}",
                "evaluation_metric",
            )

    def requests(self, args: BaseModel, ns: Namespaces, settings: Settings | None) -> list[Request]:
        assert isinstance(args, TextSimilarityArgs)
        if args.evaluation_metric != "cosine":
            return []
        text, reference = self._texts(args, ns)
        return [embedding_request(args.model, text), embedding_request(args.model, reference)]

    @staticmethod
    def _texts(args: TextSimilarityArgs, ns: Namespaces) -> tuple[str, str]:
        return render(args.input, ns, "input"), render(args.reference, ns, "reference")

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, TextSimilarityArgs)
        text, reference = self._texts(args, ns)
        metric: str = args.evaluation_metric
        if metric == "cosine":
            if len(fetched) != 2:
                raise CheckFailed("cosine: the embeddings were not fetched (run it in a suite)")
            score = cosine(vector(fetched[0], text), vector(fetched[1], reference))
            metric = f"cosine ({args.model})"
        else:
            for what, value in (("input", text), ("reference", reference)):
                if len(value) > MAX_TEXT_CHARS:
                    raise CheckFailed(
                        f"text_similarity {metric}: the {what} is {len(value)} characters; the "
                        f"local metrics compare at most {MAX_TEXT_CHARS} (rouge_l and meteor "
                        "take time that grows with the product of the lengths)"
                    )
            score = similarity(metric, text, reference)
        ok = passed(score, args.pass_threshold)
        return Grade(
            score,
            ok,
            f"{label('text_similarity', args)} {metric}: score {score:.3f} "
            f"{passes(score, args.pass_threshold)}; {compared(text, reference)}",
            unit_score(score),
        )
