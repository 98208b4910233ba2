"""cli/common.py: the settings flags from OPTIONS, the output flags, the parser's usage
errors, report files, notes and the signal handling of a run."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

import pytest

from evalkit.cli import common
from evalkit.config import OPTIONS
from evalkit.errors import ConfigError

from ..conftest import API_KEY

VALUES = {  # a value to give each setting's flag, and what the library must receive
    "mode": ("live", "live"),
    "concurrency": ("3", 3),
    "timeout_s": ("2.5", 2.5),
    "max_retries": ("1", 1),
    "rpm": ("60", 60),
    "tpm": ("1000", 1000),
    "max_cost_usd": ("0.5", 0.5),
    "batch_fallback": ("fail", "fail"),
    "batch_rounds": ("2", 2),
    "processes": ("3", 3),
    "results": ("out/runs", "out/runs"),
}


def parser(**kwargs: tuple[str, ...]) -> argparse.ArgumentParser:
    made = common.Parser(prog="evalkit")
    common.settings_flags(made, **kwargs)
    return made


def test_every_setting_has_a_flag_and_reaches_the_library_typed() -> None:
    assert sorted(VALUES) == sorted(o.setting for o in OPTIONS)  # a new setting: add it here
    argv = [word for o in OPTIONS for word in (o.flag, VALUES[o.setting][0])]
    args = parser().parse_args(argv)
    assert common.overrides(args) == {name: value for name, (_, value) in VALUES.items()}


def test_flags_not_given_are_left_to_pyproject_and_the_environment() -> None:
    args = parser().parse_args(["--concurrency", "4"])
    assert common.overrides(args) == {"concurrency": 4}
    args.update_snapshots = True  # `run --snapshot-update`
    assert common.overrides(args) == {"concurrency": 4, "update_snapshots": True}


def test_a_skipped_setting_has_no_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parser(skip=("mode",)).parse_args(["--mode", "live"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "evalkit: error: unrecognized arguments: --mode live"
    )


def test_help_names_each_setting_s_environment_variable() -> None:
    text = parser().format_help()
    for option in OPTIONS:
        assert option.flag in text
        if option.env:
            assert option.env in text.replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--concurrency", "many"], "argument --concurrency: invalid int value: 'many'"),
        (["--max-cost", "cheap"], "argument --max-cost: invalid float value: 'cheap'"),
        (
            ["--mode", "fast"],
            "argument --mode: invalid choice: 'fast' (choose from 'replay', "
            "'record', 'rerecord', 'live', 'batch')",
        ),
        (
            ["--batch-fallback", "x"],
            "argument --batch-fallback: invalid choice: 'x' (choose from 'batch', 'live', 'fail')",
        ),
    ],
)
def test_a_bad_value_is_one_line_and_exit_2(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parser().parse_args(argv)
    assert stopped.value.code == common.EXIT_USAGE == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: evalkit") and err[-1] == f"evalkit: error: {reason}"


def test_output_flags() -> None:
    made = common.Parser(prog="evalkit")
    common.output_flags(made)
    args = made.parse_args(["--markdown", "a.md", "--html", "a.html", "--json", "a.json"])
    assert (args.markdown, args.html, args.json) == ("a.md", "a.html", "a.json")
    assert vars(made.parse_args([])) == {"markdown": None, "html": None, "json": None}


def test_a_report_file_is_written_redacted_into_new_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    target = tmp_path / "deep" / "er" / "report.md"
    common.write_output(str(target), f"key {API_KEY} here", "markdown report")
    assert target.read_text() == "key *** here"
    assert capsys.readouterr().out == f"markdown report: {target}\n"
    common.write_html(str(tmp_path / "page.html"), lambda out: f"<p>{out.name}</p>")
    assert (tmp_path / "page.html").read_text() == "<p>page.html</p>"


def test_an_unwritable_report_is_bad_input_naming_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot write the json report") as caught:
        common.write_output(str(tmp_path / "file" / "r.json"), "{}", "json report")
    assert caught.value.file is not None and caught.value.file.endswith("file/r.json")


def test_notes_go_to_stderr_redacted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    common.print_note(None)
    common.print_note("")
    assert capsys.readouterr() == ("", "")
    common.print_note(f"cap reached with {API_KEY}")
    assert capsys.readouterr() == ("", "cap reached with ***\n")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_cancels_the_work_and_the_handlers_are_removed(sig: signal.Signals) -> None:
    reached: list[str] = []

    async def work() -> None:
        os.kill(os.getpid(), sig)
        reached.append("sent")
        await asyncio.sleep(30)
        reached.append("slept")  # never: the signal cancelled the sleep

    async def outer() -> tuple[object, object]:
        try:
            await common.until_signal(work)
        except asyncio.CancelledError:
            reached.append("cancelled")
        # back to what Python does without a loop's handler: Ctrl-C raises, SIGTERM ends
        return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    after = asyncio.run(outer())
    assert reached == ["sent", "cancelled"]
    assert after == (signal.default_int_handler, signal.SIG_DFL)


def test_work_that_ends_is_simply_awaited() -> None:
    done: list[int] = []

    async def work() -> None:
        done.append(1)

    asyncio.run(common.until_signal(work))
    assert done == [1]
