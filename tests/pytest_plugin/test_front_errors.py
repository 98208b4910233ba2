"""The pytest front's own mistakes and hints: every evalkit setting error under
``pytest --evalkit`` is one line and exit 2 (never a traceback), and ``pytest suites/``
without ``--evalkit`` says how suites are collected."""

from __future__ import annotations

import pytest

from ..conftest import make_project

BAD_SETTINGS = {
    "evalkit-not-a-table": '[project]\nname = "demo"\nversion = "0"\n\n[tool]\nevalkit = 5\n',
    "concurrency-not-a-number": '[tool.evalkit]\nconcurrency = "many"\n',
    "suites-not-a-path": "[tool.evalkit]\nsuites = 5\n",
    "unknown-mode": '[tool.evalkit]\nmode = "bogus"\n',
    "unknown-setting": "[tool.evalkit]\nconcurency = 4\n",
    "results-is-a-file": '[tool.evalkit]\nresults = "afile"\n',
}


@pytest.mark.parametrize("name", sorted(BAD_SETTINGS))
def test_a_bad_setting_is_exit_2_without_a_traceback(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    make_project(pytester.path)
    (pytester.path / "afile").write_text("not a folder")
    (pytester.path / "pyproject.toml").write_text(BAD_SETTINGS[name])
    monkeypatch.chdir(pytester.path)
    result = pytester.runpytest("--evalkit", "suites/", "-p", "no:cacheprovider")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, text
    assert "Traceback" not in text and "INTERNALERROR" not in text
    assert "pyproject.toml" in text or "afile" in text  # it names what to fix


def test_suites_without_evalkit_get_a_hint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    result = pytester.runpytest("suites/", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*hint: evalkit suites are YAML files*pytest --evalkit suites/*"])


def test_no_hint_for_a_folder_without_suites(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pytester.path / "empty").mkdir()
    monkeypatch.chdir(pytester.path)
    result = pytester.runpytest("empty/", "-p", "no:cacheprovider")
    assert "hint: evalkit" not in result.stdout.str()


def test_a_pytest_run_without_evalkit_loads_none_of_its_engine(pytester: pytest.Pytester) -> None:
    """pytest loads the plugin in every run of a project that has evalkit installed: without
    ``--evalkit`` it costs that run nothing beyond its options (no settings, no pydantic
    models, YAML or Jinja from evalkit), while the fixtures stay available."""
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_modules():
            loaded = {m for m in sys.modules if m.split(".")[0] == "evalkit"}
            assert "evalkit.pytest_plugin.hooks" in loaded
            layers = {m.split(".")[1] for m in loaded if "." in m}
            heavy = layers & {"config", "prompts", "results", "checks", "engine", "runs",
                              "wire", "stats", "apprecord"}
            assert not heavy, sorted(loaded)
            assert not {"evalkit.project.loader", "evalkit.project.open"} & loaded
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    assert "evalkit_openai" in result.stdout.str() and "evalkit_suite" in result.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
