"""``evalkit init [DIR] [--source SPEC]``: a working example project, recorded offline
(:func:`evalkit.runs.example.init_project`), its pyproject depending on evalkit as
``--source`` says or as this evalkit was installed (:mod:`evalkit.project.distribution`).

Prints what was made and the next step; warns when the dependency is a folder on this
machine, which CI cannot install. Exit 0, or 1 when the example's own suites did not pass.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, display_path
from .common import EXIT_FAILED, EXIT_OK


def add_parser(subparsers: Any) -> None:
    init = subparsers.add_parser(
        "init", help="scaffold a working example project (recorded offline)"
    )
    init.add_argument("dir", nargs="?", default=".", metavar="DIR")
    init.add_argument(
        "--source",
        metavar="SPEC",
        help="where the project installs evalkit from: a git URL (git+https://...@TAG), an "
        "archive URL, a folder, or a version specifier such as '>=0.2' (default: where this "
        "evalkit was installed from)",
    )


def run(args: argparse.Namespace) -> int:
    from ..project.distribution import requirement
    from ..runs.example import init_project

    try:
        needs = requirement(args.source)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    folder = Path(args.dir).resolve()
    example = init_project(folder, needs.line)
    print(
        f"\nevalkit project in {display_path(folder)}: {len(example.files)} files, recordings "
        "from the bundled testing server."
    )
    print(f"pyproject.toml installs evalkit as {needs.line!r} (from {needs.origin})")
    if not needs.portable:
        print(
            "note: that is a folder on this machine, which CI cannot install: before you push, "
            "set the dependency in pyproject.toml to your evalkit's git URL "
            "('pytest-evalkit @ git+https://...@TAG') or to 'pytest-evalkit' once it is on "
            "PyPI (evalkit init --source SPEC writes it for you)",
            file=sys.stderr,
        )
    if not example.passed:
        print(
            "the example's own suites did not pass when recorded: please report this",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print("next: cd into it and run `pytest --evalkit suites/` (offline), then read README.md")
    return EXIT_OK
