"""Debian's chromium, as the viewer's tests, benchmark and screenshots drive it.

Playwright's own browser download does not work offline, so it drives the system's
chromium through ``executable_path``. Without the background-networking flags, chromium
keeps trying hosts a closed network refuses.
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright adds --headless and a new empty profile (user-data-dir) of its own.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
