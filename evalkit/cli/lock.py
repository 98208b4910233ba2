"""``evalkit lock [--root DIR]``: add every prompt version not yet locked to
prompts/evalkit.lock (a locked version whose text changes is then an ``evalkit check``
error). Prints each version it locked, or that there was nothing to lock; exit 0."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import find_root, load_settings
from ..prompts import PromptStore
from .common import EXIT_OK


def add_parser(subparsers: Any) -> None:
    lock = subparsers.add_parser("lock", help="add new prompt versions to prompts/evalkit.lock")
    lock.add_argument("--root", default=".", help="project folder (default: the current one)")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(find_root(Path(args.root)))
    store = PromptStore(settings.prompts_dir)
    added = store.write_lock()
    for ref in added:
        print(f"locked {ref} {store.digest(ref)}")
    if not added:
        print(f"nothing to lock: every prompt version is in {store.lock_path}")
    return EXIT_OK
