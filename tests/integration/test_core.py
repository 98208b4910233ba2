"""Fast unit tests of the core seams, no server: the request path's answerers, the check
contract, the verdicts and figures, planning, settings and the public API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

import evalkit
from evalkit.checks import REGISTRY, AssertionSpec, CheckContext, Observation, evaluate
from evalkit.config import OPTIONS, Mode, Settings, load_settings
from evalkit.engine.answerers import (
    NEVER_RECORDED,
    NO_RECORDING,
    Answerer,
    Fallback,
    Memo,
    Recorder,
    Replay,
    answerer_for,
)
from evalkit.errors import ApiCallError, CaseError, CircuitOpen, ConfigError, RecordingMissing
from evalkit.project.recordings import Owner, RecordingStore
from evalkit.prompts import PromptStore
from evalkit.results import (
    CaseResult,
    CheckResult,
    Figures,
    SampleResult,
    Verdicts,
    case_passed,
    sample_passed,
)
from evalkit.wire.request import Request, embedding_request
from evalkit.wire.response import Response

OWNER = Owner("s", "c")


def chat(text: str, sample: int = 0) -> Request:
    return Request(
        endpoint="chat.completions",
        body={"model": "m-2024-01-01", "messages": [{"role": "user", "content": text}]},
        sample=sample,
    )


def answer(text: str) -> Response:
    body = {"model": "m", "choices": [{"message": {"content": text}, "finish_reason": "stop"}]}
    return Response(endpoint="chat.completions", body=body)


class Scripted(Answerer):
    """An answerer that answers from a dict and counts what it was asked (a unit-test
    stand-in for the API, one layer above the SDK)."""

    def __init__(self, answers: dict[str, Response | CaseError]):
        self.answers = answers
        self.asked: list[list[str]] = []

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        self.asked.append([request.key])
        result = self.answers[request.key]
        if isinstance(result, CaseError):
            raise result
        return result

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Response | CaseError]:
        self.asked.append([r.key for r in requests])
        return [self.answers[r.key] for r in requests]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# -- the request path ------------------------------------------------------------------


def test_replay_answers_from_recordings_or_says_why_not(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    request = chat("hi")
    with pytest.raises(RecordingMissing, match=NEVER_RECORDED) as info:
        run(Replay(store).answer(OWNER, request))
    assert info.value.remedy == "record" and info.value.not_run == "no recording"
    store.put(OWNER, request, answer("hello"))
    assert store.forget(OWNER) is None  # written
    replayed = run(Replay(store).answer(OWNER, request))
    assert replayed.text == "hello" and replayed.replayed
    with pytest.raises(RecordingMissing, match=NO_RECORDING):  # recorded, then edited
        run(Replay(store).answer(OWNER, chat("hi, edited")))


def test_record_replays_what_it_has_and_records_the_rest(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    old, new = chat("old"), chat("new")
    store.put(OWNER, old, answer("kept"))
    live = Scripted({new.key: answer("fresh")})
    record = Fallback(Replay(store), Recorder(live, store))
    assert run(record.answer(OWNER, old)).text == "kept"
    assert run(record.answer(OWNER, new)).text == "fresh"
    assert live.asked == [[new.key]]  # only what was missing went to the API
    record.done(OWNER)
    assert set(RecordingStore(tmp_path).entries(OWNER)) == {old.key, new.key}


def test_answer_many_returns_each_requests_error_in_place(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    ok, bad = chat("ok"), chat("bad")
    live = Scripted({ok.key: answer("yes"), bad.key: ApiCallError("nope", 400)})
    results = run(Recorder(live, store).answer_many(OWNER, [bad, ok], "judge"))
    assert isinstance(results[0], ApiCallError) and isinstance(results[1], Response)
    assert list(store.entries(OWNER)) == [ok.key]  # only answers are recorded
    assert store.entries(OWNER)[ok.key].purpose == "judge"


def test_memo_embeds_a_text_once_per_run_even_in_flight() -> None:
    same = embedding_request("e", "shared text")
    vector = Response(
        endpoint="embeddings",
        body={
            "model": "e",
            "data": [{"index": 0, "embedding": [1.0]}],
            "usage": {"prompt_tokens": 3},
        },
    )
    live = Scripted({same.key: vector})
    memo = Memo(live)

    async def both() -> list[object]:
        return list(
            await asyncio.gather(
                memo.answer_many(Owner("s", "a"), [same]), memo.answer_many(Owner("s", "b"), [same])
            )
        )

    first, second = run(both())
    assert live.asked == [[same.key]]
    assert {first[0].input_tokens, second[0].input_tokens} == {3, 0}  # the reuse costs nothing
    assert first[0].reused or second[0].reused


def test_memo_passes_everything_else_through() -> None:
    a = chat("a")
    live = Scripted({a.key: answer("x")})
    memo = Memo(live)
    run(memo.answer(OWNER, a))
    run(memo.answer(OWNER, a))
    assert len(live.asked) == 2


def test_each_mode_is_one_composition(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    live = Scripted({})
    shapes = {
        mode: type(answerer_for(mode, store, lambda: live, batch=lambda: live)).__name__
        for mode in Mode
    }
    assert shapes == {
        Mode.REPLAY: "Replay",
        Mode.RECORD: "Fallback",
        Mode.RERECORD: "Recorder",
        Mode.LIVE: "Memo",
        Mode.BATCH: "Fallback",
    }


def test_circuit_open_is_raised_not_returned() -> None:
    a = chat("a")

    class Open(Answerer):
        async def answer(
            self, owner: Owner, request: Request, purpose: str | None = None
        ) -> Response:
            raise CircuitOpen("not run: circuit open")

    with pytest.raises(CircuitOpen):
        run(Open().answer_many(OWNER, [a]))


# -- the check contract -------------------------------------------------------------


def spec(kind: str, **args: object) -> AssertionSpec:
    check = REGISTRY[kind]
    common = {k: args.pop(k) for k in ("path", "negate", "weight", "threshold") if k in args}
    return AssertionSpec(type=kind, args=check.args.model_validate(args), **common)  # type: ignore[arg-type]


def test_input_tokens_refuses_only_what_it_can_count_exactly() -> None:
    budget = spec("input_tokens", max=3)
    long = Request(
        endpoint="chat.completions",
        body={
            "model": "gpt-4.1-mini-2025-04-14",
            "messages": [{"role": "user", "content": "a " * 50}],
        },
    )
    assert "the request was not sent" in (budget.check.refuse(budget, long) or "")
    other = Request(endpoint="chat.completions", body={**long.body, "model": "smollm2-2024-01-01"})
    assert budget.check.refuse(budget, other) is None  # another tokenizer: checked after
    assert (
        spec("input_tokens", max=3, weight=0).check.refuse(
            spec("input_tokens", max=3, weight=0), long
        )
        is None
    )


def test_similar_and_judge_say_what_they_need(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    ctx = CheckContext(settings, PromptStore(tmp_path))
    obs = Observation(text='{"summary": "double charge"}')
    similar = spec("similar", path="summary", value="charged twice")
    needs = similar.check.needs(similar, obs, ctx)
    assert [r.body["input"] for r in needs] == [["double charge"], ["charged twice"]]
    judge = spec("judge", rubric="r", model="gpt-4.1-2025-04-14")
    (request,) = judge.check.needs(judge, obs, ctx)
    assert request.body["response_format"]["type"] == "json_schema"  # the default server's mode


def test_threshold_and_negation_are_applied_once() -> None:
    python_ok = Observation(text="x")
    similar = spec("similar", value="v", threshold=0.5)
    vectors = [
        Response(endpoint="embeddings", body={"data": [{"embedding": [1.0, 0.0]}]}),
        Response(endpoint="embeddings", body={"data": [{"embedding": [1.0, 1.0]}]}),
    ]
    outcome = evaluate(similar, python_ok, vectors)
    assert outcome.passed and outcome.score == pytest.approx(0.7071, abs=1e-3)
    assert "(threshold 0.5)" in outcome.message
    negated = spec("similar", value="v", threshold=0.5, negate=True)
    assert not evaluate(negated, python_ok, vectors).passed


def test_checks_without_their_fetches_fail_plainly() -> None:
    outcome = evaluate(spec("judge", rubric="r", model="m-2024-01-01"), Observation(text="x"))
    assert not outcome.passed and "no verdict was fetched" in outcome.message


# -- verdicts and figures -----------------------------------------------------------


def result(
    suite: str, passes: list[bool], threshold: float = 1.0, cost: float | None = 0.01
) -> CaseResult:
    samples = [
        SampleResult(sample=i, passed=p, output="x", latency_ms=100.0 * (i + 1), cost_usd=cost)
        for i, p in enumerate(passes)
    ]
    return CaseResult(
        suite=suite,
        case=f"c{len(passes)}{passes}",
        passed=case_passed(samples, 1.0, None),
        samples=samples,
        threshold=threshold,
    )


def test_sample_and_case_verdicts() -> None:
    failing_info = CheckResult(type="x", passed=False, weight=0)
    assert sample_passed([failing_info], None)
    assert not sample_passed([], "an error")
    samples = [SampleResult(passed=True), SampleResult(passed=False)]
    # 1 of 2 cannot show a rate of at least 0.5 (inconclusive), nor of 1.0 (failed); any
    # rate is at least 0
    assert not case_passed(samples, 0.5, None) and not case_passed(samples, 1.0, None)
    assert case_passed(samples, 0.0, None)
    assert case_passed([SampleResult(passed=True)] * 2, 1.0, None)
    assert not case_passed(samples, 0.0, "recording not saved") and not case_passed([], 0.0, None)


def test_suite_and_run_verdicts_follow_thresholds() -> None:
    results = [result("a", [True]), result("a", [False], threshold=0.5), result("b", [True, True])]
    results[0] = results[0].model_copy(update={"threshold": 0.5})
    verdicts = Verdicts().add_all(results)
    summaries = {s.suite: s for s in verdicts.summaries()}
    assert (summaries["a"].passed, summaries["a"].total, summaries["a"].gate_passed) == (1, 2, True)
    assert summaries["b"].repeat == 2 and summaries["b"].every_sample == 1
    assert verdicts.passed
    assert not Verdicts().passed  # nothing ran: nothing passed


def test_outcomes_travel_and_fold_the_same() -> None:
    from evalkit.results import CaseOutcome, dump_outcome

    r = result("a", [True, False])
    folded = Verdicts()
    folded.add(CaseOutcome.model_validate_json(dump_outcome(r)))
    assert folded.summaries() == Verdicts().add_all([r]).summaries()


def test_figures_are_defined_once() -> None:
    r = result("a", [True, True, False])
    assert r.latency_ms == 200.0  # the mean of answered samples
    assert r.cost_usd == pytest.approx(0.03)  # the sum over samples
    figures = Figures()
    figures.add(r)
    (summary,) = Verdicts().add_all([r]).summaries()
    f = figures.of(summary)
    assert f.latencies == [100.0, 200.0, 300.0] and f.p50_ms == 200.0
    assert f.cost_per_1000 == pytest.approx(30.0)
    unknown = result("a", [True], cost=None)
    figures.add(unknown)
    assert figures.of(summary).cost is None  # an unknown price is n/a, never $0


# -- settings and the public API ----------------------------------------------------


def test_every_option_maps_to_a_setting_and_modes_are_its_choices(tmp_path: Path) -> None:
    fields = set(Settings.model_fields)
    assert all(o.setting in fields for o in OPTIONS)
    mode = next(o for o in OPTIONS if o.setting == "mode")
    assert mode.choices == tuple(m.value for m in Mode) and mode.pytest_flag == "--evalkit-mode"
    with pytest.raises(ConfigError, match="less than or equal to 1024"):
        load_settings(tmp_path, {"concurrency": 5000})


def test_servers_route_models_first_match_wins(tmp_path: Path) -> None:
    settings = Settings(
        root=tmp_path,
        servers={
            "local-*": {"base_url": "http://127.0.0.1:1/v1", "structured": "json_object"},  # type: ignore[dict-item]
            "*": {"base_url": "http://127.0.0.1:2/v1"},  # type: ignore[dict-item]
        },
    )
    assert settings.server_for("local-x")[0] == "local-*"
    assert settings.structured_for("local-x") == "json_object"
    assert (
        settings.server_for("gpt-4.1")[0] == "*"
        and settings.structured_for("gpt-4.1") == "json_schema"
    )


def test_public_api_is_pinned() -> None:
    assert sorted(evalkit.__all__) == [
        "Answer",
        "ApiCallError",
        "Case",
        "CaseError",
        "CaseResult",
        "CheckResult",
        "CircuitOpen",
        "ConfigError",
        "EvalkitError",
        "LockError",
        "Mode",
        "RecordingError",
        "RecordingMissing",
        "RequestRefused",
        "Result",
        "SampleResult",
        "Settings",
        "Suite",
        "SuiteSummary",
        "TemplateError",
        "TransportError",
        "Verdicts",
        "__version__",
        "check",
        "load_suite",
        "run",
    ]
    assert all(hasattr(evalkit, name) for name in evalkit.__all__)
    assert issubclass(evalkit.ConfigError, evalkit.EvalkitError)
    assert issubclass(evalkit.RecordingMissing, evalkit.CaseError)
