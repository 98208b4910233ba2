"""The calls checks need before they can judge a sample: embeddings for ``similar`` and
verdicts for ``judge``. They go through the same modes and recordings as the case's own
request, so CI replays them offline and gets the same verdicts.

Embeddings are recorded per text (the key is the one-text request), fetched in one batched
call per sample and model, and kept for the run, so identical texts are embedded once per
run whatever batch they came in. Judge requests are ordinary chat completions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..checks import AssertionSpec, CheckFailed, Observation
from ..checks.semantic import JudgeArgs, SimilarArgs, Verdict, judge_key, judged_text
from ..config import Mode
from ..errors import CaseError, RecordingMissing
from ..pricing import cost_usd
from ..prompts import PromptRef, PromptStore
from ..requests import Request, build_request
from ..results import AuxCall
from .response import Response

if TYPE_CHECKING:
    from .run import Engine, PlannedCase

BUILTIN_JUDGE = PromptRef("judge", "v1")
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _one_text(model: str, text: str) -> Request:
    return Request(endpoint="embeddings", body={"model": model, "input": [text]})


def _single(response: Response, index: int, text_tokens: int) -> Response:
    item = response.body["data"][index]
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": item["embedding"]}],
        "model": response.body.get("model"),
        "usage": {"prompt_tokens": text_tokens, "total_tokens": text_tokens},
    }
    return Response(
        endpoint="embeddings",
        body=body,
        request_id=response.request_id,
        latency_ms=response.latency_ms,
        source=response.source,
    )


@dataclass
class Auxiliary:
    engine: Engine

    def __post_init__(self) -> None:
        self.vectors: dict[str, list[float]] = {}  # per-text request key → vector, for the run
        self.builtin_prompts = PromptStore(_TEMPLATES)

    async def fetch(self, planned: PlannedCase, obs: Observation) -> list[AuxCall]:
        """Fill ``obs.embeddings`` and ``obs.verdicts``; return the calls' usage."""
        calls: list[AuxCall] = []
        texts: dict[str, set[str]] = {}
        judges: list[tuple[AssertionSpec, JudgeArgs, str]] = []
        for spec in planned.case.asserts:
            try:
                if spec.type == "similar":
                    similar: SimilarArgs = spec.args
                    texts.setdefault(similar.model, set()).update(
                        {judged_text(obs, spec), similar.value}
                    )
                elif spec.type == "judge":
                    judges.append((spec, spec.args, judged_text(obs, spec)))
            except CheckFailed:
                continue  # the check itself will report that it cannot look
        for model, wanted in sorted(texts.items()):
            calls += await self._embed(planned, model, sorted(wanted), obs)
        for _spec, judge, text in judges:
            calls.append(await self._judge(planned, judge, text, obs))
        return calls

    async def _embed(
        self, planned: PlannedCase, model: str, texts: list[str], obs: Observation
    ) -> list[AuxCall]:
        engine, suite, case = self.engine, planned.suite.name, planned.case.id
        missing: list[tuple[str, Request]] = []
        calls: list[AuxCall] = []
        for text in texts:
            request = _one_text(model, text)
            recorded = (
                engine.store.get(suite, case, request)
                if engine.mode in (Mode.REPLAY, Mode.RECORD)
                else None
            )
            if recorded is not None:
                self.vectors[request.key] = recorded.embeddings[0]
            elif request.key in self.vectors and engine.mode is not Mode.REPLAY:
                # embedded earlier in this run: record it for this case too, at no cost
                if (
                    engine.mode in (Mode.RECORD, Mode.RERECORD)
                    and engine.store.get(suite, case, request) is None
                ):
                    body = {
                        "object": "list",
                        "data": [
                            {
                                "object": "embedding",
                                "index": 0,
                                "embedding": self.vectors[request.key],
                            }
                        ],
                        "model": model,
                        "usage": {"prompt_tokens": 0, "total_tokens": 0},
                    }
                    engine.store.put(
                        suite,
                        case,
                        request,
                        Response(endpoint="embeddings", body=body, source="reused within the run"),
                    )
            elif engine.mode is Mode.REPLAY:
                raise RecordingMissing(
                    f"no recording for the embedding of {text[:60]!r} ({model}): run with --evalkit-mode=record"
                )
            else:
                missing.append((text, request))
            if request.key in self.vectors:
                obs.embeddings[(model, text)] = self.vectors[request.key]
        if missing:
            batch = Request(
                endpoint="embeddings", body={"model": model, "input": [t for t, _ in missing]}
            )
            response = await engine.live.send(batch)
            vectors = response.embeddings
            if len(vectors) != len(missing):
                raise CaseError(
                    f"the embeddings API returned {len(vectors)} vectors for {len(missing)} texts"
                )
            share = max(response.input_tokens // len(missing), 0)
            for index, (text, request) in enumerate(missing):
                self.vectors[request.key] = vectors[index]
                obs.embeddings[(model, text)] = vectors[index]
                if engine.mode in (Mode.RECORD, Mode.RERECORD):
                    engine.store.put(suite, case, request, _single(response, index, share))
            calls.append(self._usage("embedding", model, response))
        return calls

    async def _judge(
        self, planned: PlannedCase, args: JudgeArgs, text: str, obs: Observation
    ) -> AuxCall:
        store, ref = (
            (planned.suite.prompts, PromptRef.parse(args.prompt))
            if args.prompt
            else (self.builtin_prompts, BUILTIN_JUDGE)
        )
        variables = {
            "rubric": args.rubric,
            "output": text,
            "vars": obs.vars,
            "suite": planned.suite.name,
            "case": planned.case.id,
        }
        messages = store.render(ref, variables)
        target = planned.target.model_copy(
            update={
                "model": args.model,
                "api": "chat",
                "params": {"temperature": 0},
                "schema_model": Verdict,
                "structured": "json_schema",
            }
        )
        request = build_request(target, messages)
        response = await self.engine.answer(planned, request, check_budget=False)
        try:
            verdict = Verdict.model_validate_json(response.text)
        except ValueError as exc:
            raise CaseError(
                f"the judge {args.model} gave no valid verdict ({exc.__class__.__name__}): {response.text[:120]!r}"
            ) from None
        obs.verdicts[judge_key(args, text)] = verdict
        return self._usage("judge", args.model, response)

    def _usage(self, kind: str, model: str, response: Response) -> AuxCall:
        return AuxCall(
            kind=kind,
            model=model,
            input_tokens=response.input_tokens,
            output_tokens=response.output_tokens,
            cost_usd=cost_usd(
                model,
                response.input_tokens,
                response.cached_tokens,
                response.output_tokens,
                self.engine.settings.prices,
            ),
            source="recording" if response.replayed else "api",
        )
