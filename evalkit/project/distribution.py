"""The name evalkit is installed by, and how a new project should name it.

``evalkit`` on PyPI is an unrelated 2021 package (evolutionary algorithms), so this project
is published as ``pytest-evalkit`` (a pytest plugin's conventional name); the import package
and the command stay ``evalkit``. A project made by ``evalkit init`` lists evalkit in its
``pyproject.toml`` dependencies, which is what its workflows install (``pip install -e .``):
that one line is where a team says where evalkit comes from. It is, in order:

1. what ``evalkit init --source`` says: a PEP 508 direct reference (``git+https://…@tag``,
   an archive URL, a local folder) or a version specifier (``>=0.2``);
2. else where this evalkit was installed from, read from its PEP 610 ``direct_url.json``: a
   git URL and the exact commit, or an archive URL, or (for a checkout on this machine) a
   ``file://`` URL that only works here, which ``init`` says in so many words;
3. else (installed from an index) the published name with this version as the floor.

Never a bare ``evalkit``: that name resolves to someone else's package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..io.jsonfile import loads_value

DISTRIBUTION = "pytest-evalkit"
"""The name on PyPI (``pip install pytest-evalkit``)."""

_SPECIFIER = re.compile(r"^\s*(===?|~=|!=|<=?|>=?)\s*[0-9][A-Za-z0-9.*+!-]*\s*(,.*)?$")


@dataclass(frozen=True)
class Requirement:
    """A dependency line for a project's ``pyproject.toml``, and whether it is portable
    (installable on another machine, such as CI)."""

    line: str
    portable: bool
    origin: str  # what it was read from, for the message init prints


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0"


def requirement(source: str | None = None) -> Requirement:
    """The dependency line naming this project, from ``source`` or this install's origin."""
    if source is not None:
        return _from_source(source.strip())
    # every copy on sys.path: a source tree's own *.egg-info (first when run from the
    # checkout) has no direct_url.json, the installed one beside it has
    for dist in metadata.distributions(name=DISTRIBUTION):
        text = dist.read_text("direct_url.json")
        found = _from_direct_url(text) if text else None
        if found is not None:
            return found
    return Requirement(f"{DISTRIBUTION}>={version()}", True, "the package index")


def _from_source(source: str) -> Requirement:
    if not source:
        raise ValueError("--source is empty: give a git URL, an archive URL, a folder or >=VERSION")
    if _SPECIFIER.match(source):
        return Requirement(f"{DISTRIBUTION}{source.replace(' ', '')}", True, "--source")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source):
        local = source.startswith("file:")
        return Requirement(f"{DISTRIBUTION} @ {source}", not local, "--source")
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise ValueError(
            f"--source {source!r} is neither a URL, a folder nor a version specifier "
            "(examples: git+https://github.com/ORG/evalkit@v0.2.0, ../evalkit, '>=0.2')"
        )
    return Requirement(f"{DISTRIBUTION} @ {folder.resolve().as_uri()}", False, "--source")


def _from_direct_url(text: str) -> Requirement | None:
    """PEP 610: ``{"url": ..., "vcs_info": {...}}``, ``{"url": ..., "archive_info": ...}`` or
    ``{"url": "file://...", "dir_info": {"editable": true}}``."""
    try:
        data = loads_value(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    url: str = data["url"]
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
        commit = vcs.get("commit_id")
        at = f"@{commit}" if isinstance(commit, str) and commit else ""
        return Requirement(f"{DISTRIBUTION} @ {vcs['vcs']}+{url}{at}", True, "its git URL")
    if "dir_info" in data:
        return Requirement(f"{DISTRIBUTION} @ {url}", False, "a folder on this machine")
    return Requirement(f"{DISTRIBUTION} @ {url}", not url.startswith("file:"), "its archive URL")
