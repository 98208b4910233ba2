"""The documentation site and the README: it builds, every page is reachable, links resolve.

Rules held here: `mkdocs build --strict` passes (it fails on a broken link or anchor and on a
page left out of the nav) and the site it builds loads nothing from another host; every page
under docs/ is in mkdocs.yml's nav and every nav entry is a page; the README stays a short
page (at most 300 lines) that opens with the two commands of a fresh clone, and its relative
links reach files that exist, anchors included.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
MKDOCS_YML = ROOT / "mkdocs.yml"

TWO_COMMANDS = """\
# 1. Run the example suite from its committed recordings: no API key, no network.
python -m pip install -e . && python -m pytest --evalkit suites/

# 2. Run evalkit's own tests (three workers: about 3 minutes on 2 cores).
python -m pip install -e '.[dev]' && python -m pytest -n 3
"""

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml with its `!!python/...` tags read as nothing: only the nav is wanted here."""


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def config() -> dict[str, Any]:
    loaded = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    assert isinstance(loaded, dict)
    return loaded


def nav_pages(entry: Any) -> list[str]:
    """Every page path a nav entry names, however deeply its sections nest."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [page for item in entry for page in nav_pages(item)]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in nav_pages(value)]
    raise AssertionError(f"unexpected nav entry {entry!r}")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (what mkdocs.yml's toc slugify makes, too)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+?)\s*$", text, re.MULTILINE)}


def relative_links(page: Path) -> list[str]:
    """The page's link and image targets that point into the repository."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # a link shown as code is not a link
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # https:, mailto:
    ]


def test_the_site_builds_strictly_and_loads_nothing_from_another_host(tmp_path: Path) -> None:
    for module in ("mkdocs", "material"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: python -m pip install -e '.[docs]'")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(MKDOCS_YML),
            "-d",
            str(site),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (site / "index.html").is_file()
    assert (site / "getting-started" / "first-suite" / "index.html").is_file()
    for picture in sorted(DOCS.glob("*.png")):  # the viewer's screenshots are carried over
        assert (site / picture.name).read_bytes() == picture.read_bytes()
    assert not (site / "screenshots.py").exists()  # a script beside the docs is not a page
    assert (site / "search" / "search_index.json").is_file()
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        outside = re.findall(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="(https?:)?//', html)
        assert not outside, f"{page.relative_to(site)} loads from another host"
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_every_docs_page_is_in_the_nav_and_every_nav_entry_is_a_page() -> None:
    listed = nav_pages(config()["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == pages
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"


def test_the_config_asks_for_nothing_from_the_network() -> None:
    loaded = config()
    assert loaded["strict"] is True
    assert loaded["theme"]["name"] == "material"
    assert loaded["theme"]["font"] is False  # else Google's fonts are fetched
    assert "analytics" not in loaded.get("extra", {})
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in loaded.get("plugins", [])]
    assert set(plugins) <= {"search"}  # social cards and the privacy plugin download


def test_readme_is_short_and_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    first_block = re.search(r"^```(\w*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert first_block is not None
    assert first_block.group(1) == "bash"
    assert first_block.group(2) == TWO_COMMANDS
    assert "\n## " not in text[: first_block.start()], "a section comes before the two commands"


def test_readme_relative_links_reach_files_and_their_anchors() -> None:
    links = relative_links(README)
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        path, _, fragment = link.partition("#")
        target = (ROOT / path).resolve() if path else README
        assert target.is_relative_to(ROOT), f"README links outside the repository: {link}"
        assert target.is_file(), f"README links to a missing file: {link}"
        if fragment and target.suffix == ".md":
            assert fragment in anchors(target), f"README links to a missing anchor: {link}"


def test_docs_and_readme_name_no_outside_file() -> None:
    for page in [README, *DOCS.rglob("*.md")]:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page
        assert "SPEC.md" not in text, page


def test_slug_and_link_helpers_find_what_github_would() -> None:
    assert slug("Comparing versions: `evalkit diff`") == "comparing-versions-evalkit-diff"
    assert slug("A project's layout") == "a-projects-layout"
    assert slug("The cost cap: `--max-cost`") == "the-cost-cap---max-cost"
    assert anchors(DOCS / "guides" / "prompts.md") >= {"templates", "the-lock"}
    page = DOCS / "getting-started" / "first-suite.md"
    assert "../guides/prompts.md#the-lock" in relative_links(page)


def test_ci_runs_the_readme_s_test_command() -> None:
    # CI proves what a newcomer types: the README's second command, as written.
    command = TWO_COMMANDS.strip().splitlines()[-1].split("&& ", 1)[1]
    assert f"\n{command}\n" in (ROOT / ".ci" / "run").read_text()
