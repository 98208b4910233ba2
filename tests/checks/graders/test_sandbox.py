"""The Python grader's subprocess: a hostile or broken grade() fails its check with a
message, and cannot read the parent's secrets, write files, start processes or hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evalkit.checks.graders.sandbox import Limits, run_grader

SAMPLE = {"output_text": "42", "output_json": 42, "output_tools": [], "choices": []}
FAST = Limits(timeout_s=5)


def run(body: str, limits: Limits = FAST, item: object = None) -> tuple[float | None, str | None]:
    source = "def grade(sample, item):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    result = run_grader(source, SAMPLE, item or {"answer": "42"}, limits)
    return result.score, result.error


def test_a_grade_comes_back_with_sample_and_item() -> None:
    assert run("return float(sample['output_text'] == item['answer'])") == (1.0, None)
    assert run("return sample['output_json'] / 84") == (0.5, None)


def test_the_environment_holds_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-in-the-parent")
    monkeypatch.setenv("EVALKIT_TEST_SECRET", "hunter2")
    score, error = run(
        "import os\n"
        "leaked = [k for k in os.environ if k not in ('LC_CTYPE',)]\n"
        "return 1.0 if leaked else 0.0"
    )
    assert (score, error) == (0.0, None)


def test_the_parents_environment_cannot_be_read_through_proc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-in-the-parent")
    score, error = run(f"return len(open('/proc/{os.getpid()}/environ').read())")
    assert score is None
    assert error is not None and "PermissionError" in error and "refuses to open" in error


def test_files_outside_python_cannot_be_read_or_written(tmp_path: Path) -> None:
    secret = tmp_path / ".env"
    secret.write_text("OPENAI_API_KEY=sk-file")
    _, error = run(f"return len(open({str(secret)!r}).read())")
    assert error is not None and "refuses to open" in error
    _, error = run("open('out.txt', 'w').write('x')\nreturn 1.0")
    assert error is not None and "refuses to write" in error


@pytest.mark.parametrize(
    "body",
    [
        "import subprocess\nsubprocess.run(['true'])\nreturn 1.0",
        "import os\nos.system('true')\nreturn 1.0",
        "import socket\nsocket.socket()\nreturn 1.0",
        "import ctypes\nctypes.CDLL(None).system(b'true')\nreturn 1.0",
        "import ctypes\nctypes.CDLL('libc.so.6')\nreturn 1.0",
        "import ctypes\nreturn float(ctypes.c_int.from_address(8).value)",
    ],
)
def test_processes_sockets_and_ctypes_are_refused(body: str) -> None:
    score, error = run(body)
    assert score is None
    assert error is not None and "the grader sandbox refuses" in error


def test_a_loop_times_out_on_the_wall_clock() -> None:
    score, error = run("import time\nwhile True:\n    time.sleep(0.05)", Limits(timeout_s=1))
    assert score is None
    assert error == "timed out after 1 s (wall clock)"


def test_a_busy_loop_hits_the_cpu_limit() -> None:
    score, error = run("while True:\n    pass", Limits(timeout_s=20, cpu_s=1))
    assert score is None
    assert error is not None and "used more than 1 s of CPU" in error


def test_a_huge_allocation_fails() -> None:
    score, error = run(
        "x = bytearray(8 * 1024**3)\nreturn 1.0"  # over the default 2 GiB
    )
    assert score is None
    assert error == "MemoryError: the grader ran out of memory"


def test_an_exception_fails_with_its_message_and_line() -> None:
    score, error = run("x = 1\nraise ValueError('no reference answer')")
    assert score is None
    assert error == "ValueError (line 3): no reference answer"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("return 'high'", "grade returned str 'high', not a number"),
        ("return True", "grade returned bool 'True', not a number"),
        ("return None", "grade returned NoneType 'None', not a number"),
        ("return float('nan')", "not a finite number"),
        ("import sys\nsys.exit(0)", "SystemExit (line 3): 0"),
        ("import os\nos._exit(0)", "exited with code 0 without a grade"),
    ],
)
def test_a_result_that_is_not_a_number_fails(body: str, said: str) -> None:
    score, error = run(body)
    assert score is None
    assert error is not None and said in error


def test_stdout_noise_is_kept_apart_from_the_grade() -> None:
    result = run_grader(
        "import os\ndef grade(sample, item):\n    print('debug: looking')\n"
        "    os.write(1, b'{\"score\": 1.0}\\n')\n    return 0.25\n",
        SAMPLE,
        {},
        FAST,
    )
    assert result.score == 0.25
    assert "debug: looking" in result.stderr


def test_output_beyond_the_cap_kills_the_grader() -> None:
    score, error = run("while True:\n    print('x' * 1000)", Limits(timeout_s=10))
    assert score is None
    assert error == "printed more than 64 kB to stderr"


def test_a_source_without_grade_or_with_a_syntax_error_fails() -> None:
    assert (
        run_grader("x = 1\n", SAMPLE, {}, FAST).error
        == "the source defines no grade(sample, item) function"
    )
    assert run_grader("def grade(:\n", SAMPLE, {}, FAST).error.startswith("SyntaxError at line 1")


def test_installed_libraries_can_be_imported() -> None:
    score, error = run(
        "from rapidfuzz import fuzz, utils\n"
        "return fuzz.WRatio(sample['output_text'], item['answer'], processor=utils.default_process) / 100"
    )
    assert (score, error) == (1.0, None)


def test_a_big_sample_goes_through_stdin() -> None:
    result = run_grader(
        "def grade(sample, item):\n    return len(item['big']) / 1e6\n",
        SAMPLE,
        {"big": "y" * 1_000_000},
        FAST,
    )
    assert result.score == 1.0


def test_a_grader_killed_by_a_signal_says_which() -> None:
    score, error = run("import signal\nsignal.raise_signal(signal.SIGTERM)\nreturn 1.0")
    assert score is None
    assert error == "was killed by SIGTERM"


def test_numpy_and_pandas_import_under_the_limits_and_the_hook() -> None:
    pytest.importorskip("pandas")
    score, error = run(
        "import numpy as np\nimport pandas as pd\nreturn float(np.mean(pd.Series([0.0, 1.0])))",
        Limits(timeout_s=30),
    )
    assert (score, error) == (0.5, None)


def test_the_grader_runs_in_an_empty_folder_of_its_own() -> None:
    score, error = run("import os\nreturn float(len(os.listdir('.')))")
    assert (score, error) == (0.0, None)
    here = os.getcwd()
    score, error = run(f"import os\nreturn 1.0 if os.getcwd() == {here!r} else 0.0")
    assert (score, error) == (0.0, None)
