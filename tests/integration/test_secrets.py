"""A key evalkit knows of appears in no sink of any front: a server's ``api_key_env`` whose
name says nothing (``LLM_SESAME``), a server that echoes the key in its 401, a key that
reached a results line before evalkit knew it. Checked over stdout, stderr and every file
under the project, for the CLI's commands and for pytest."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.io.redaction import Redactor, remember

from ..conftest import Project, make_project

KEY = "opensesame-7f3a9c2e1b5d"  # shaped like no known key: only its variable tells


class _EchoingServer(BaseHTTPRequestHandler):
    """A proxy that answers every request 401, quoting the key it was given (some do)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        given = self.headers.get("authorization", "").removeprefix("Bearer ")
        body = json.dumps(
            {"error": {"message": f"key {given} is not valid here", "type": "invalid_request"}}
        ).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echoing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _use_server(project: Project, url: str) -> None:
    project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\nmax_retries = 0\n\n'
        f'[tool.evalkit.servers]\n"gpt-*" = {{base_url = "{url}", api_key_env = "LLM_SESAME"}}\n',
    )


def _nowhere(root: Path, *texts: str) -> None:
    for text in texts:
        assert KEY not in text, text
    for path in root.rglob("*"):
        if path.is_file() and ".venv" not in path.parts:
            assert KEY.encode() not in path.read_bytes(), path


def test_a_key_echoed_by_a_server_reaches_no_sink_of_the_cli(
    project: Project,
    echoing: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LLM_SESAME", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    _use_server(project, echoing)
    assert main(["record", "--run-id", "r1"]) == 1  # the 401 fails the cases
    out, err = capsys.readouterr()
    assert "answered 401: key *** is not valid here" in out + err
    folder = project.root / ".evalkit" / "runs" / "r1"
    assert "***" in (folder / "results.jsonl").read_text()
    # a results line an older evalkit wrote with the key in it
    line = json.loads((folder / "results.jsonl").read_text().splitlines()[0])
    line["samples"][0]["output"] = f"the key is {KEY}"
    line["case"] = "leaked"
    with (folder / "results.jsonl").open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    texts = [out, err]
    for argv in (
        ["report", "r1"],
        ["report", "r1", "--html", "page.html"],
        ["report", "r1", "--markdown", "report.md"],
        ["report", "r1", "--json", "report.json"],
        ["view", "r1", "--out", "view.html"],
        ["diff", "r1", "r1"],
    ):
        main(argv)
        texts += list(capsys.readouterr())
    assert (project.root / "view.html").is_file() and (project.root / "page.html").is_file()
    (folder / "results.jsonl").unlink()  # the planted line itself is the one file allowed
    _nowhere(project.root, *texts)


def test_a_key_echoed_by_a_server_reaches_no_sink_of_pytest(
    pytester: pytest.Pytester, echoing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_SESAME", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    project = make_project(pytester.path)
    _use_server(project, echoing)
    result = pytester.runpytest_subprocess(
        "--evalkit", "--evalkit-mode", "record", "suites/", "--junitxml", "junit.xml", "-rA"
    )
    assert result.ret == 1
    text = result.stdout.str() + result.stderr.str()
    assert "key *** is not valid here" in text
    assert (pytester.path / "junit.xml").is_file()
    _nowhere(pytester.path, text)


def test_a_redactor_made_before_a_key_was_named_masks_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOME_LOCAL_VAR_7", KEY)
    early = Redactor()
    assert early(f"x {KEY} y") == f"x {KEY} y"
    remember(["SOME_LOCAL_VAR_7"])
    assert early(f"x {KEY} y") == "x *** y"
