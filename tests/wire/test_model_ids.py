"""wire/model_ids.py and the pinning hint: only snapshots that exist are ever suggested."""

from __future__ import annotations

import re
import typing

import pytest
from openai.types.shared.chat_model import ChatModel
from openai.types.shared.responses_model import ResponsesModel

from evalkit.cli.main import main
from evalkit.wire.model_ids import SNAPSHOTS, alias_of, snapshots_of
from evalkit.wire.pinning import is_pinned, pin_hint

from ..conftest import SUITE, Project

DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def sdk_ids() -> set[str]:
    ids = set(typing.get_args(ChatModel))
    for arg in typing.get_args(ResponsesModel):
        ids |= {a for a in typing.get_args(arg) if isinstance(a, str)}
    return ids


def test_the_list_is_the_installed_sdk_s_dated_models() -> None:
    dated = {m for m in sdk_ids() if DATED.search(m)}
    assert set(SNAPSHOTS) == dated, (
        f"new in the SDK: {sorted(dated - SNAPSHOTS)}; gone: {sorted(SNAPSHOTS - dated)}"
    )
    assert all(is_pinned(m) for m in SNAPSHOTS)


@pytest.mark.parametrize(
    ("alias", "newest", "also"),
    [
        ("gpt-4o", "gpt-4o-2024-11-20", ["gpt-4o-2024-08-06", "gpt-4o-2024-05-13"]),
        ("o3-mini", "o3-mini-2025-01-31", []),
        ("gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", []),
        ("gpt-5-mini", "gpt-5-mini-2025-08-07", []),
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18", []),
    ],
)
def test_a_hint_names_real_snapshots_newest_first(alias: str, newest: str, also: list[str]) -> None:
    assert snapshots_of(alias) == [newest, *also]
    hint = pin_hint(alias)
    assert hint.startswith(f"use a dated snapshot such as {newest!r}")
    for model in re.findall(r"'([^']+)'", hint):
        assert model in SNAPSHOTS  # nothing invented
    assert alias_of(newest) == alias


@pytest.mark.parametrize("model", ["my-local-model", "gpt-4o-2025-04-14", "o3-mini-2025-04-14"])
def test_no_snapshot_is_invented(model: str) -> None:
    assert (
        pin_hint(alias_of(model) + "-typo") == "use a dated snapshot from the provider's model list"
    )
    assert "2025-04-14" not in pin_hint("my-local-model")


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("gpt-4o", "use a dated snapshot such as 'gpt-4o-2024-11-20'"),
        ("o3-mini", "use a dated snapshot such as 'o3-mini-2025-01-31'"),
        ("smollm2-360m", "use a dated snapshot from the provider's model list"),
    ],
)
def test_the_suite_error_suggests_only_what_exists(
    project: Project, capsys: pytest.CaptureFixture[str], model: str, said: str
) -> None:
    project.write("suites/triage.yaml", SUITE.replace("gpt-4.1-mini-2025-04-14", model))
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert f"suites/triage.yaml:3: model {model!r} is not a pinned snapshot: {said}" in err
    assert "2025-04-14" not in err
