"""The Files API in memory: multipart uploads, retrieve, content, delete, list.

Batches read their input from here and write their output and error files here, as the real
API does, so a client's whole batch flow (upload, create, poll, download) runs unchanged.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request, not_found

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MAX_BATCH_FILE = 200 * 1024 * 1024  # the Batch API's input file limit


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "expires_at": None,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The parts of a ``multipart/form-data`` body by field name, or a 400 when it is not one."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or match is None:
        raise bad_request("Invalid Content-Type header: expected multipart/form-data.")
    boundary = b"--" + match.group(1).encode()
    parts: dict[str, FormPart] = {}
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing boundary
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = head.decode("utf-8", "replace")
        disposition = re.search(r"content-disposition:([^\r\n]*)", headers, re.IGNORECASE)
        if disposition is None:
            continue
        name = re.search(r'\bname="([^"]*)"', disposition.group(1))
        filename = re.search(r'\bfilename="([^"]*)"', disposition.group(1))
        if name is not None:
            parts[name.group(1)] = FormPart(
                name.group(1), filename.group(1) if filename else None, data
            )
    return parts


class FileStore:
    """Thread-safe files by id; ids are sequential per server, so a run is reproducible."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._files: dict[str, StoredFile] = {}
        self._count = 0
        self._lock = threading.Lock()

    def add(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        with self._lock:
            self._count += 1
            digest = hashlib.sha256(f"{self._count}:".encode() + data).hexdigest()[:24]
            stored = StoredFile("file-" + digest, filename, purpose, data, int(self._clock()))
            self._files[stored.id] = stored
            return stored

    def upload(self, parts: dict[str, FormPart]) -> StoredFile:
        """A ``POST /v1/files`` upload, checked as the API checks it."""
        if "purpose" not in parts:
            raise bad_request(
                "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter"
            )
        purpose = parts["purpose"].data.decode("utf-8", "replace").strip()
        if purpose not in PURPOSES:
            raise bad_request(
                f"Invalid value: '{purpose}'. Supported values are: "
                + ", ".join(f"'{p}'" for p in PURPOSES)
                + ".",
                "purpose",
                "invalid_value",
            )
        upload = parts.get("file")
        if upload is None or upload.filename is None:
            raise bad_request(
                "Missing required parameter: 'file'.", "file", "missing_required_parameter"
            )
        if purpose == "batch":
            if not upload.filename.endswith(".jsonl"):
                raise bad_request(
                    "Invalid file format for Batch API. Must be .jsonl", "file", "invalid_value"
                )
            if len(upload.data) > MAX_BATCH_FILE:
                raise bad_request(
                    "File is too large for the Batch API: the limit is 200 MB.",
                    "file",
                    "file_too_large",
                )
        return self.add(upload.filename, purpose, upload.data)

    def get(self, file_id: str) -> StoredFile:
        with self._lock:
            found = self._files.get(file_id)
        if found is None:
            raise not_found(f"No such File object: {file_id}", "id")
        return found

    def delete(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            if self._files.pop(file_id, None) is None:
                raise not_found(f"No such File object: {file_id}", "id")
        return {"id": file_id, "object": "file", "deleted": True}

    def list(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            files = list(self._files.values())
        if purpose := query.get("purpose"):
            files = [f for f in files if f.purpose == purpose]
        if query.get("order", "desc") == "desc":
            files.reverse()
        return page([f.to_api() for f in files], query, default_limit=10_000)


def page(items: list[dict[str, Any]], query: dict[str, str], default_limit: int) -> dict[str, Any]:
    """A cursor page as the API lists things: ``after`` an id, at most ``limit`` items."""
    if after := query.get("after"):
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = max(1, int(query.get("limit", default_limit)))
    except ValueError:
        raise bad_request(
            "Invalid 'limit': expected an integer.", "limit", "invalid_type"
        ) from None
    shown = items[:limit]
    return {
        "object": "list",
        "data": shown,
        "first_id": shown[0]["id"] if shown else None,
        "last_id": shown[-1]["id"] if shown else None,
        "has_more": len(items) > limit,
    }
