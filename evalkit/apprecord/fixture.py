"""The handle the ``evalkit_openai`` fixture gives a test: OpenAI clients pointed at the
test's own endpoint, what its calls cost, and closing it all (writing the recording).

The pytest front only makes and closes an :class:`AppOpenAI` and sets the environment
(``OPENAI_BASE_URL``, and a placeholder key where the SDK would otherwise refuse to start);
everything else is here so the rules are written once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai

from ..checks import Observation
from ..config import Mode, Settings, find_root, load_settings
from ..errors import display_path
from ..io.redaction import redact
from ..wire.pricing import cost_usd
from .cassette import owner_test_id, recording_path, write_recording
from .endpoint import AppEndpoint
from .recorder import Call, Recorder
from .upstream import Credentials, Upstream

# What the application's clients send as their key to the local endpoint, which never
# reads it; set only when there is no key (replay needs none), and never written anywhere.
PLACEHOLDER_KEY = "evalkit-replay-no-key-needed"


@dataclass(frozen=True)
class AppAnswer:
    """What the application returned, with the usage of every call the test made so far:
    ``evalkit.check(evalkit_openai.answer(text), "schema", {"type": "output_tokens", ...})``."""

    text: str
    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None
    model: str

    def observation(self) -> Observation:
        return Observation(
            text=self.text,
            input_tokens=self.input_tokens,
            cached_tokens=self.cached_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            model=self.model,
            turns=max(self.calls, 1),
        )


def _tokens(usage: dict[str, Any], *names: str) -> int:
    for name in names:
        value = usage.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return 0


class AppOpenAI:
    """The ``evalkit_openai`` fixture's value: ``client()``, ``async_client()``,
    ``answer(text)``, and where this test's recording is."""

    def __init__(self, settings: Settings, recorder: Recorder, endpoint: AppEndpoint):
        self.settings = settings
        self.recorder = recorder
        self.endpoint = endpoint
        self._clients: list[openai.OpenAI] = []
        self._async: list[openai.AsyncOpenAI] = []

    @property
    def mode(self) -> Mode:
        return self.recorder.mode

    @property
    def base_url(self) -> str:
        """The endpoint's base URL (also in ``OPENAI_BASE_URL`` during the test)."""
        return self.endpoint.base_url

    @property
    def recording(self) -> Path:
        """This test's recording file."""
        return self.recorder.path

    def environment(self) -> dict[str, str]:
        """What the test's environment gets: ``OPENAI_BASE_URL`` pointing here (for the
        clients the code builds itself), and a placeholder key in replay or where none is
        set, so ``OpenAI()`` starts (the endpoint never reads it)."""
        variables = {"OPENAI_BASE_URL": self.base_url}
        if self.mode is Mode.REPLAY or not os.environ.get("OPENAI_API_KEY"):
            variables["OPENAI_API_KEY"] = PLACEHOLDER_KEY
        return variables

    @property
    def calls(self) -> list[Call]:
        """Every call the test made so far, as answered."""
        return list(self.recorder.calls)

    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if "base_url" in kwargs:
            raise TypeError(
                "evalkit_openai.client() sets base_url itself (its calls go to the endpoint "
                "that records and replays them): drop the base_url argument"
            )
        options = {"api_key": PLACEHOLDER_KEY, **kwargs, "base_url": self.base_url}
        return options

    def client(self, **kwargs: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` whose calls are recorded and replayed (any other
        constructor argument is passed on)."""
        made = openai.OpenAI(**self._options(kwargs))
        self._clients.append(made)
        return made

    def async_client(self, **kwargs: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` whose calls are recorded and replayed."""
        made = openai.AsyncOpenAI(**self._options(kwargs))
        self._async.append(made)
        return made

    def answer(self, text: str) -> AppAnswer:
        """``text`` (what the code under test returned) with the recorded usage of the
        test's calls, for :func:`evalkit.check` and its budgets."""
        calls = self.calls
        usages = [call.answer.usage for call in calls]
        input_tokens = sum(_tokens(u, "prompt_tokens", "input_tokens") for u in usages)
        output_tokens = sum(_tokens(u, "completion_tokens", "output_tokens") for u in usages)
        cached = 0
        total: float | None = 0.0
        for call, usage in zip(calls, usages, strict=True):
            details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details")
            hit = _tokens(details, "cached_tokens") if isinstance(details, dict) else 0
            cached += hit
            model = call.answer.model or call.model
            price = cost_usd(
                model,
                _tokens(usage, "prompt_tokens", "input_tokens"),
                hit,
                _tokens(usage, "completion_tokens", "output_tokens"),
                self.settings.prices,
            )
            total = None if price is None or total is None else total + price
        models = sorted({call.answer.model or call.model for call in calls})
        return AppAnswer(
            text=text,
            calls=len(calls),
            input_tokens=input_tokens,
            cached_tokens=cached,
            output_tokens=output_tokens,
            cost_usd=total if calls else None,
            model=",".join(models),
        )

    def close(self, passed: bool) -> str | None:
        """Stop the endpoint and write the recording (in the recording modes); what
        should fail the test, if anything did not go as recorded."""
        for client in self._clients:
            client.close()
        self.endpoint.stop()
        self.recorder.upstream.close()
        problems = list(self.recorder.problems)
        recording = self.recorder.result(passed and not problems)
        if recording is not None:
            try:
                write_recording(self.recorder.path, recording)
            except OSError as exc:
                problems.append(
                    f"the recording could not be saved to {display_path(self.recorder.path)}: "
                    f"{exc.strerror or exc}"
                )
        if not problems:
            return None
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return redact(f"evalkit_openai: {problems[0]}{more}")


def open_app_recorder(
    test_file: Path,
    test_name: str,
    overrides: dict[str, Any] | None = None,
    remedy: str = "run with --evalkit-mode=record",
) -> AppOpenAI:
    """Start the endpoint for one test (its project found from ``test_file``), under the
    mode the settings give. Reads the real key and base URL now, before the front points
    the environment at the endpoint. ConfigError: bad settings or an unreadable recording."""
    settings = load_settings(find_root(test_file), overrides)
    test = owner_test_id(settings.root, test_file, test_name)
    path = recording_path(settings.snapshots_dir / "recordings", test)
    credentials = Credentials(
        api_key=(os.environ.get("OPENAI_API_KEY") or "").strip() or None,
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
    )
    if credentials.api_key == PLACEHOLDER_KEY:  # a nested fixture's: not a real key
        credentials = Credentials(None, credentials.base_url)
    upstream = Upstream(credentials, settings.timeout_s)
    recorder = Recorder.open(test, path, settings.mode, upstream, remedy)
    return AppOpenAI(settings, recorder, AppEndpoint(recorder).start())
