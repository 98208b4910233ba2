"""evalkit init: from an empty folder to a green, offline `pytest --evalkit suites/`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.project.scaffold import TEMPLATE
from evalkit.testing import SERVER_NAME

REPO = Path(__file__).resolve().parents[2]
LIST_DISTRIBUTIONS = (
    "from importlib.metadata import distributions\n"
    "for d in distributions():\n"
    "    print(f\"{d.metadata['Name']}=={d.version}\")"
)


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing listens: replay must not need it
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def test_init_gives_a_green_offline_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process: the real entry points (`evalkit check --strict` and `python -m pytest
    --evalkit` as subprocesses, in a fresh environment) are run on an init project by
    test_init_project_installs_evalkit_by_its_own_name."""
    folder = pytester.path / "acme-evals"
    assert main(["init", str(folder)]) == 0
    assert "recordings from the bundled testing server" in capsys.readouterr().out
    for rel in (
        "pyproject.toml",
        "suites/triage.yaml",
        "prompts/triage/v2.j2",
        "prompts/evalkit.lock",
        "schemas/triage.py",
        ".github/workflows/evals.yml",
        ".github/workflows/ci.yml",
        "README.md",
    ):
        assert (folder / rel).is_file(), rel
    assert 'name = "acme-evals"' in (folder / "pyproject.toml").read_text()
    assert "## Evals (evalkit)" in (folder / "README.md").read_text()
    assert (folder / ".gitignore").read_text() == ".evalkit/\n"
    recordings = sorted((folder / "snapshots/recordings/triage").glob("*.json"))
    assert len(recordings) == 7 and SERVER_NAME in recordings[0].read_text()

    env = offline_env()
    for name in [n for n in os.environ if n.startswith(("OPENAI_", "EVALKIT_"))]:
        if name != "EVALKIT_TODAY":  # the suite's fixed day (tests/conftest.py)
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_BASE_URL", env["OPENAI_BASE_URL"])
    monkeypatch.chdir(folder)
    tests = pytester.runpytest("--evalkit", "suites/", "-p", "no:cacheprovider")
    assert tests.ret == 0, tests.stdout.str()
    assert "7 passed" in tests.stdout.str()
    capsys.readouterr()
    assert main(["check", "--strict"]) == 0, capsys.readouterr().err
    if shutil.which("actionlint", path=env["PATH"]):
        lint = subprocess.run(
            ["actionlint", ".github/workflows/evals.yml", ".github/workflows/ci.yml"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "evalkit init would overwrite pyproject.toml" in capsys.readouterr().err
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"


@pytest.mark.parametrize(
    "rel",
    [
        "suites/triage.yaml",
        "suites/cases/triage.jsonl",
        "prompts/triage/v1.j2",
        "prompts/triage/v2.j2",
        "schemas/triage.py",
        "scripts/triage-model.yaml",
        ".github/workflows/evals.yml",
    ],
)
def test_template_is_this_repository_example(rel: str) -> None:
    assert (TEMPLATE / rel).read_bytes() == (REPO / rel).read_bytes(), (
        f"{rel}: the init template drifted from the example"
    )


def test_both_workflows_pass_actionlint() -> None:
    actionlint = shutil.which(
        "actionlint", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    )
    if actionlint is None:
        pytest.skip("actionlint is not installed (it comes with the dev extra)")
    lint = subprocess.run(
        [actionlint, ".github/workflows/evals.yml", ".github/workflows/ci.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout


def test_init_project_installs_evalkit_by_its_own_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The project `evalkit init` makes is installed the way its workflows install it
    (`pip install -e .` in a fresh environment), and gets this project, not PyPI's
    unrelated `evalkit`: its `evalkit check --strict` and `pytest --evalkit` then pass."""
    folder = tmp_path / "demo"
    assert main(["init", str(folder), "--source", str(REPO)]) == 0
    captured = capsys.readouterr()
    assert f"pytest-evalkit @ {REPO.as_uri()}" in captured.out
    assert "CI cannot install" in captured.err  # a folder is not portable: init says so
    pyproject = (folder / "pyproject.toml").read_text()
    assert f'dependencies = ["pytest-evalkit @ {REPO.as_uri()}"]' in pyproject
    for workflow in (".github/workflows/ci.yml", ".github/workflows/evals.yml"):
        text = (folder / workflow).read_text()
        assert "pip install -e ." in text and "install evalkit" not in text

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    _lend_dependencies(venv, tmp_path / "lent")
    env = offline_env()
    env["PATH"] = f"{venv / 'bin'}:{os.environ['PATH']}"
    env.pop("PYTHONPATH", None)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "-e", "."],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run(  # what `pip list --format freeze` reads, without pip's start-up
        [str(python), "-c", LIST_DISTRIBUTIONS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.lower()
    assert "pytest-evalkit==" in listed
    assert "\nevalkit==" not in f"\n{listed}"  # the unrelated package never came in

    check = subprocess.run(
        [str(venv / "bin" / "evalkit"), "check", "--strict"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run(
        [str(python), "-m", "pytest", "--evalkit", "suites/", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "7 passed" in tests.stdout


@pytest.mark.parametrize(
    ("source", "line", "portable"),
    [
        (">=0.2", "pytest-evalkit>=0.2", True),
        (
            "git+https://example.org/acme/evalkit@v0.2.0",
            "pytest-evalkit @ git+https://example.org/acme/evalkit@v0.2.0",
            True,
        ),
        (
            "https://example.org/evalkit-0.2.0.tar.gz",
            "pytest-evalkit @ https://example.org/evalkit-0.2.0.tar.gz",
            True,
        ),
    ],
)
def test_init_source_becomes_the_dependency_line(source: str, line: str, portable: bool) -> None:
    from evalkit.project.distribution import requirement

    found = requirement(source)
    assert (found.line, found.portable) == (line, portable)


def test_init_refuses_a_source_that_is_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "p"), "--source", "no-such-folder"]) == 2
    assert "neither a URL, a folder nor a version specifier" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_origin_of_an_install_is_read_from_pep_610() -> None:
    from evalkit.project.distribution import _from_direct_url

    git = _from_direct_url(
        '{"url": "https://github.com/acme/evalkit", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}'
    )
    assert (
        git is not None
        and git.line == "pytest-evalkit @ git+https://github.com/acme/evalkit@abc123"
    )
    folder = _from_direct_url('{"url": "file:///src/evalkit", "dir_info": {"editable": true}}')
    assert folder is not None and not folder.portable
    assert _from_direct_url("not json") is None
    assert _from_direct_url('{"url": 5}') is None


def test_no_requirement_anywhere_names_the_unrelated_evalkit() -> None:
    """`evalkit` on PyPI is someone else's package: a self-reference by that name (an extra
    that says `evalkit[graders]`) would install it. Every requirement in pyproject.toml and
    in init's template names this project as pytest-evalkit."""
    import re
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = data["project"]
    assert project["name"] == "pytest-evalkit"
    requirements = list(project["dependencies"]) + [
        r for extra in project.get("optional-dependencies", {}).values() for r in extra
    ]
    names = {re.split(r"[\s\[<>=!~;@]", r, maxsplit=1)[0].lower() for r in requirements}
    assert "evalkit" not in names, requirements
    template = (TEMPLATE.parent / "init" / "pyproject.toml.tmpl").read_text()
    assert '"evalkit"' not in template and "'evalkit'" not in template


def _lend_dependencies(venv: Path, lent: Path) -> None:
    """The fresh environment sees the packages of the one running these tests, except evalkit
    itself (linked one by one into ``lent``, named by a .pth file): its install resolves every
    dependency as already satisfied and builds only what the init project's dependency line
    names. Without this the test downloads and unpacks pandas, numpy, openai ... (about two
    minutes, on the network) to learn nothing more: a line naming PyPI's unrelated `evalkit`
    would still fetch that package, which the test refuses."""
    lent.mkdir()
    for site in map(Path, sysconfig.get_paths()["purelib"].split(os.pathsep)):
        for entry in site.iterdir():
            name = entry.name.lower()
            if "evalkit" in name or name.endswith(".pth") or name == "__pycache__":
                continue
            if not (lent / entry.name).exists():
                (lent / entry.name).symlink_to(entry)
    purelib = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "lent-dependencies.pth").write_text(f"{lent}\n")
