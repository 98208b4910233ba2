"""The record/replay store: one reviewable JSON file per case under snapshots/.

Files are written with sorted keys and two-space indents, entries keyed by request hash,
and only when their content changed, so re-recording unchanged cases leaves them alone
and a PR diff shows only the requests that changed. No header is ever stored: only the
request body (which holds no credentials), the response body and a few metadata fields.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..requests import Request
from .response import Response

FORMAT = "evalkit-recording/1"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@functools.lru_cache(maxsize=65536)
def slug(text: str) -> str:
    slug = _UNSAFE.sub("-", text).strip("-.") or "case"
    if slug != text:
        slug += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return slug


class RecordingStore:
    """Recordings for many cases; each case's file is read once and written on save."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._dirty: set[tuple[str, str]] = set()

    def path(self, suite: str, case: str) -> Path:
        return self.folder / slug(suite) / f"{slug(case)}.json"

    def _entries(self, suite: str, case: str) -> dict[str, Any]:
        key = (suite, case)
        if key not in self._cache:
            path = self.path(suite, case)
            entries: dict[str, Any] = {}
            if path.is_file():
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    entries = data["interactions"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise ConfigError(
                        f"unreadable recording ({exc}); delete it and record again", path
                    ) from None
            self._cache[key] = entries
        return self._cache[key]

    def entries(self, suite: str, case: str) -> dict[str, Any]:
        """The case's recorded interactions by request key (read once, then cached)."""
        return self._entries(suite, case)

    def get(self, suite: str, case: str, request: Request) -> Response | None:
        entry = self._entries(suite, case).get(request.key)
        if entry is None:
            return None
        # model_construct: the body came from our own file and is read-only here; validating
        # every nested response body again is most of a replay's cost
        return Response.model_construct(
            endpoint=entry["request"]["endpoint"],
            body=entry["response"],
            request_id=entry.get("request_id"),
            latency_ms=float(entry.get("latency_ms", 0.0)),
            source=entry.get("source", ""),
            retries=0,
            replayed=True,
        )

    def put(self, suite: str, case: str, request: Request, response: Response) -> None:
        entry: dict[str, Any] = {
            "request": {"endpoint": request.endpoint, "body": request.body},
            "response": response.body,
            "request_id": response.request_id,
            "model": response.model,
            "latency_ms": round(response.latency_ms, 1),
            "source": response.source,
        }
        if request.sample:
            entry["request"]["sample"] = request.sample
        entries = self._entries(suite, case)
        old = entries.get(request.key)
        if old is not None and old.get("response") == entry["response"]:
            return  # same answer: keep the file byte-for-byte (latency and ids included)
        if old != entry:
            entries[request.key] = entry
            self._dirty.add((suite, case))

    def forget(self, suite: str, case: str) -> None:
        """Drop a finished case from memory (a long run holds only what is in flight)."""
        self.save(suite, case)
        self._cache.pop((suite, case), None)

    def save(self, suite: str, case: str) -> Path | None:
        """Write the case's file if anything changed (atomically: never a torn file)."""
        if (suite, case) not in self._dirty:
            return None
        path = self.path(suite, case)
        document = {
            "format": FORMAT,
            "suite": suite,
            "case": case,
            "interactions": self._entries(suite, case),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        os.replace(tmp, path)
        self._dirty.discard((suite, case))
        return path
