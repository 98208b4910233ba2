"""``evalkit init [DIR]``: a working example project, recorded offline and ready to gate PRs.

The files come from ``evalkit/templates/init`` (the same example this repository runs), and
the recordings are made on the spot against the bundled testing server, so ``pytest
--evalkit suites/`` passes at once, offline.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ConfigError
from .prompts import PromptStore

TEMPLATE = Path(__file__).resolve().parent / "templates" / "init"
_SKIP = {"pyproject.toml.tmpl", "README-section.md"}


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _files() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATE.rglob("*")
        if p.is_file() and p.name not in _SKIP and "__pycache__" not in p.parts
    )


def scaffold(folder: Path) -> list[Path]:
    """Write the example project into ``folder``; refuses to overwrite anything."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / p.relative_to(TEMPLATE) for p in _files()]
    clashes = [t for t in targets if t.exists()]
    if (folder / "pyproject.toml").exists():
        clashes.append(folder / "pyproject.toml")
    if clashes:
        names = ", ".join(str(c.relative_to(folder)) for c in clashes[:5])
        raise ConfigError(
            f"evalkit init would overwrite {names}; run it in an empty folder or a new one", folder
        )
    written = []
    for source, target in zip(_files(), targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-.") or "evals"
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        (TEMPLATE / "pyproject.toml.tmpl").read_text().replace("{name}", name), encoding="utf-8"
    )
    readme = folder / "README.md"
    section = (TEMPLATE / "README-section.md").read_text()
    with readme.open("a", encoding="utf-8") as handle:
        handle.write(section if readme.stat().st_size else f"# {name}\n" + section)
    ignore = folder / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if ".evalkit/" not in lines:  # run results are local; recordings and snapshots are committed
        ignore.write_text("\n".join([*lines, ".evalkit/", ""]).lstrip("\n"), encoding="utf-8")
    PromptStore(folder / "prompts").write_lock()
    return [*written, pyproject, readme, ignore, folder / "prompts" / "evalkit.lock"]


def record(folder: Path) -> int:
    """Record every suite and variant of ``folder`` against the testing server."""
    from .cli import main
    from .testing import Script, TestingServer

    script = Script.load(folder / "scripts" / "triage-model.yaml")
    cwd = Path.cwd()
    with (
        TestingServer(script) as server,
        _environment(
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY="sk-evalkit-testing-server",
            EVALKIT_MODE="record",
        ),
    ):
        os.chdir(folder)
        try:
            code = main(
                [
                    "run",
                    "--mode",
                    "rerecord",
                    "--all-variants",
                    "--snapshot-update",
                    "--results",
                    str(folder / ".evalkit" / "init"),
                ]
            )
        finally:
            os.chdir(cwd)
    shutil.rmtree(folder / ".evalkit" / "init", ignore_errors=True)
    return code
