"""A batch run's batches, kept in its run folder (``batches.json``), so a run can be
re-attached after Ctrl-C or a crash instead of submitted again.

Every batch evalkit submits is written here *before* the call that creates it (with the
request keys it carries, in line order), then again with its batch id, and again whenever
its status changes; always atomically (``files.atomic_write``), so the file is never torn.
A record without a batch id is a submission that may or may not have reached the API: the
batch's metadata carries the record's ``submission`` id, so a resumed run looks it up
instead of submitting it again.

Each record also says where the batch lives, without any secret: the server (the
``[tool.evalkit.servers]`` pattern), its base URL without credentials, and a short sha256
fingerprint of the key (``key_id``), so a run resumed with another key or endpoint says so
instead of failing with a 404 on every batch.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..results.folder import batches_file, read_batches, write_batches
from ..wire.request import Endpoint

FORMAT = "evalkit-batches/1"
TERMINAL = ("completed", "failed", "expired", "cancelled")


def key_id(api_key: str | None) -> str:
    """Which key, never the key: the first 12 hex digits of its sha256."""
    if not api_key:
        return "none"
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


def public_url(url: str) -> str:
    """A base URL without user, password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def new_submission_id() -> str:
    return "sub_" + secrets.token_hex(8)


_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def _api_id(value: str | None) -> str | None:
    """Ids go into URL paths: a hand-edited run folder or an odd server cannot steer a call
    elsewhere."""
    if value is not None and not _ID.match(value):
        raise ValueError(f"{value[:40]!r} is not a batch or file id")
    return value


ApiId = Annotated[str | None, AfterValidator(_api_id)]


class BatchRecord(BaseModel):
    """One submitted (or being submitted) batch."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    submission: str  # evalkit's id, also in the batch's metadata (evalkit_submission)
    batch_id: ApiId = None  # None: the create call may not have reached the API
    input_file_id: ApiId = None
    server: str | None = None  # the [tool.evalkit.servers] pattern; None: the default server
    base_url: str = ""
    key_id: str = ""
    model: str
    endpoint: Endpoint
    round: int = Field(0, ge=0)  # 0: first submission; n: the n-th follow-up
    keys: list[str]  # custom_id of each line, in line order (the request hashes)
    status: str = "submitting"
    output_file_id: ApiId = None
    error_file_id: ApiId = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    created_at: str = ""
    error: str | None = None  # why it never reached the API, when it did not

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def open(self) -> bool:
        """Running on the server (or possibly created there): something to wait for."""
        return not self.terminal and self.status != "not submitted"


class Ledger(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: str = FORMAT
    run_id: str = ""
    batches: list[BatchRecord] = []


class BatchLedger:
    """The run's batches, in memory and (when the run has a folder) on disk."""

    def __init__(self, folder: Path | None = None, run_id: str = ""):
        self.folder = folder
        self.data = Ledger(run_id=run_id)
        self.by_key: dict[str, list[BatchRecord]] = {}
        found = read_batches(folder, Ledger) if folder is not None else None
        if found is not None:
            self.data = found
            for record in self.data.batches:
                self._index(record)

    @property
    def records(self) -> list[BatchRecord]:
        return self.data.batches

    def _index(self, record: BatchRecord) -> None:
        for key in record.keys:
            self.by_key.setdefault(key, []).append(record)

    def add(self, record: BatchRecord) -> None:
        if not record.created_at:
            record.created_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.data.batches.append(record)
        self._index(record)
        self.save()

    def latest(self, key: str) -> BatchRecord | None:
        """The last batch that carried ``key`` (or was about to)."""
        records = self.by_key.get(key)
        return records[-1] if records else None

    def attempts(self, key: str) -> int:
        """Batches that reached the API with ``key`` in them."""
        return sum(1 for r in self.by_key.get(key, ()) if r.status != "not submitted")

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else batches_file(self.folder)

    def save(self) -> None:
        if self.folder is not None:
            write_batches(self.folder, self.data)


def read_ledger(folder: Path) -> Ledger:
    """The run's batch state (an empty one when it has none)."""
    return read_batches(folder, Ledger) or Ledger()
