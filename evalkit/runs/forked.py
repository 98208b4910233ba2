"""A big replay shared with helper processes forked from the run (both fronts).

A replay waits on nothing: reading recordings, rendering, checking and writing results is
CPU work, and one Python process uses one core. So a replay of many cases (``processes``;
by default one process per CPU, at most 4, from 1,000 cases, on Linux) forks helpers that
take cases from the same plan and send back each finished case's result line. The run's
own process stays the only writer of ``results.jsonl``, the only display, and the one that
folds verdicts. Under ``evalkit run`` it runs cases too (:meth:`Helpers.own_share`, then
:meth:`Helpers.finish`); under pytest each item waits for its own case
(:meth:`Helpers.until`, which runs the next ticket here rather than wait idle), and the
suite's teardown ends the helpers (:meth:`Helpers.finish_here`).

- **Sharing.** The plan is cut into tickets (runs of consecutive cases) written into a pipe
  before the fork; every process reads one ticket at a time (a read of 4 bytes from a pipe
  is atomic), so each case is taken exactly once and a slow process simply takes fewer.
- **Results.** A helper sends ``R<index>\\t<result line>\\n`` per finished case (the line
  already encoded and redacted as :class:`~evalkit.results.folder.RunWriter` writes it) and,
  at its end, ``S<snapshot state>\\n``: the snapshots its cases read, wrote and held, so
  unused snapshots are judged over the whole run. The run's process parses each line into a
  :class:`CaseResult` before writing it, so a torn or foreign line is never kept.
- **Crashes.** A helper that dies (a crash, a kill) loses only the cases it had not
  reported: the run's process runs every case nobody reported before it finishes.
- **Interrupts.** Ctrl-C reaches every process of the group: helpers stop, the run's process
  keeps every line they sent, and stops them (SIGTERM) if they have not (``--resume`` runs the
  rest, as after any interrupted run).

Only replays are shared (live modes wait on the API, not the CPU), only where ``os.fork`` is
safe (Linux, and no thread started yet: :func:`processes_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Mode, Settings
from ..options import AUTO_PROCESSES, AUTO_PROCESSES_FROM
from ..project.plan import PlannedCase
from ..results import CaseResult

if TYPE_CHECKING:
    from ..checks.snapshot_store import SnapshotStore
    from ..engine.run import Engine
    from ..results.folder import RunWriter

TICKET = 4  # bytes of one ticket: a big-endian run number
# 4 KiB of tickets: one page, the least buffer any pipe has (a user over the system's pipe
# quota gets one-page pipes), so the tickets are written whole before the fork.
MAX_TICKETS = 1024
PIPE_SIZE = 1 << 20  # results pipes are widened to this where the system allows it
READ_SIZE = 1 << 16  # bytes read from a results pipe at a time
STOP_WAIT_S = 10.0  # after an interrupt: how long helpers get to close before a SIGKILL


class Deliver(Protocol):
    """Keeps a finished case: its result, and the line to write (``None``: encode it)."""

    def __call__(self, result: CaseResult, line: str | None = None, /) -> None: ...


def processes_for(settings: Settings, mode: Mode, cases: int, *, threads: int | None = None) -> int:
    """How many processes (this one included) share a run of ``cases`` cases: 1 unless it
    is a replay of at least two cases on Linux with no thread running (a fork then copies a
    process whose locks no other thread holds); ``settings.processes`` when given, else one
    per CPU (at most :data:`AUTO_PROCESSES`) from :data:`AUTO_PROCESSES_FROM` cases."""
    if mode is not Mode.REPLAY or cases < 2 or sys.platform != "linux":
        return 1
    if (threads if threads is not None else _threads()) > 1:
        return 1
    if settings.processes is not None:
        return min(settings.processes, cases)
    if cases < AUTO_PROCESSES_FROM:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), AUTO_PROCESSES))


def _threads() -> int:
    """The process's threads, native ones too (a library's thread pool holds locks a fork
    would copy as held): the kernel's count, else Python's."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


@dataclass
class _Helper:
    pid: int
    fd: int  # the read end of its results pipe (non-blocking)
    pending: bytearray = field(default_factory=bytearray)  # a line not yet whole
    closed: bool = False
    exit_code: int | None = None


class Helpers:
    """The helper processes of one run, seen from the run's own process."""

    def __init__(
        self, plan: Sequence[PlannedCase], chunk: int, tickets: int, helpers: list[_Helper]
    ):
        self.plan = plan
        self.chunk = chunk
        self.tickets = tickets  # the read end of the tickets pipe
        self.helpers = helpers
        self.taken = bytearray(len(plan))  # 1: run here, or reported by a helper
        self.snapshot_states: list[dict[str, Any]] = []
        self.dropped = 0  # lines from helpers that were not results (never kept)

    # -- forking ---------------------------------------------------------------------

    @classmethod
    def fork(
        cls, engine: Engine, plan: Sequence[PlannedCase], writer: RunWriter, count: int
    ) -> Helpers | None:
        """Fork up to ``count - 1`` helpers that run ``plan``'s cases with (their copy of)
        ``engine`` and send their results' lines, encoded by ``writer``; ``None`` when the
        system refuses the pipes or the first fork (the run then takes one process)."""
        chunk = max(1, -(-len(plan) // MAX_TICKETS))
        tickets = -(-len(plan) // chunk)
        try:
            read_tickets, write_tickets = os.pipe()
        except OSError:  # out of file descriptors
            return None
        data = b"".join(n.to_bytes(TICKET, "big") for n in range(tickets))
        try:
            os.set_blocking(write_tickets, False)
            written = os.write(write_tickets, data)  # nobody reads yet: never wait
        except OSError:
            written = 0
        os.close(write_tickets)  # a read past the last ticket is the end
        if written != len(data):
            os.close(read_tickets)
            return None
        helpers: list[_Helper] = []
        for _ in range(count - 1):
            try:
                read_results, write_results = os.pipe()
            except OSError:
                break
            with contextlib.suppress(OSError, AttributeError):
                import fcntl

                fcntl.fcntl(write_results, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
            try:
                pid = os.fork()
            except OSError:  # a process limit: share with the helpers forked so far
                os.close(read_results)
                os.close(write_results)
                break
            if pid == 0:  # the helper: it never returns into the caller's frames
                code = 1
                try:
                    os.close(read_results)
                    for other in helpers:
                        os.close(other.fd)
                    _serve(engine, plan, chunk, read_tickets, write_results, writer)
                    code = 0
                except BaseException:
                    pass
                finally:
                    os._exit(code)
            os.close(write_results)
            os.set_blocking(read_results, False)
            helpers.append(_Helper(pid, read_results))
        if not helpers:
            os.close(read_tickets)
            return None
        return cls(plan, chunk, read_tickets, helpers)

    # -- the run's own share -----------------------------------------------------------

    def own_share(self, deliver: Deliver) -> Iterator[PlannedCase]:
        """The cases this process runs, a ticket at a time; before each case, the helpers'
        finished results are kept (so their pipes never stay full)."""
        for index in _claims(self.tickets, self.chunk, len(self.plan)):
            self.collect(deliver)
            self.taken[index] = 1
            yield self.plan[index]
        self.collect(deliver)

    def collect(self, deliver: Deliver) -> None:
        """Keep every whole line the helpers have sent so far (never waits)."""
        for helper in self.helpers:
            if not helper.closed:
                self._read(helper, deliver)

    def until(
        self, index: int, deliver: Deliver, run_here: Callable[[list[PlannedCase]], None]
    ) -> None:
        """Until case ``index`` is kept (pytest: its item reports): keep what the helpers
        sent; while tickets are left, run the next one's cases here (helping, not idling);
        else wait for a helper. A case no helper can report any more runs here."""
        while not self.taken[index]:
            self.collect(deliver)
            if self.taken[index]:
                return
            if self.tickets >= 0 and (claimed := _claim(self.tickets, self.chunk, len(self.plan))):
                self._run_here(claimed, run_here)
                continue
            open_ = [h for h in self.helpers if not h.closed]
            if not open_:
                self._run_here(range(index, index + 1), run_here)
                return
            _wait(open_)

    def finish_here(self, deliver: Deliver, run_here: Callable[[list[PlannedCase]], None]) -> None:
        """:meth:`finish` for a caller without an event loop (pytest): wait for the
        helpers, keep what they sent, and run here what nobody reported."""
        while open_ := [h for h in self.helpers if not h.closed]:
            _wait(open_)
            self.collect(deliver)
        self._reap()
        if missing := self._unreported():
            self._run_here(missing, run_here)

    def _run_here(
        self, indices: Sequence[int], run_here: Callable[[list[PlannedCase]], None]
    ) -> None:
        for i in indices:
            self.taken[i] = 1
        run_here([self.plan[i] for i in indices])

    async def finish(self, deliver: Deliver) -> list[PlannedCase]:
        """Wait for every helper to finish and keep what each sent; then the cases nobody
        reported (a helper that died), for the caller to run."""
        loop = asyncio.get_running_loop()
        while open_ := [h for h in self.helpers if not h.closed]:
            ready = asyncio.Event()
            for helper in open_:
                loop.add_reader(helper.fd, ready.set)
            try:
                await ready.wait()
            finally:
                for helper in open_:
                    loop.remove_reader(helper.fd)
            self.collect(deliver)
        self._reap()
        return [self.plan[i] for i in self._unreported()]

    def _unreported(self) -> list[int]:
        """Cases nobody ran here or reported (a helper died holding them)."""
        return [i for i, done in enumerate(self.taken) if not done]

    def stop(self, deliver: Deliver) -> None:
        """After an interrupt or an error: stop the helpers, keep every whole line they
        sent, and reap them (a helper that does not close in time is killed)."""
        for helper in self.helpers:
            if not helper.closed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(helper.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        try:
            while (open_ := [h for h in self.helpers if not h.closed]) and (
                left := deadline - time.monotonic()
            ) > 0:
                _wait(open_, left)
                self.collect(deliver)
        finally:  # keeping a line can fail (a full disk): the helpers are still reaped
            for helper in self.helpers:
                if not helper.closed:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(helper.pid, signal.SIGKILL)
                    os.close(helper.fd)
                    helper.closed = True
            self._reap()

    def merge_snapshots(self, store: SnapshotStore) -> None:
        """Fold what the helpers' snapshot checks read, wrote and held into ``store``."""
        for state in self.snapshot_states:
            store.used.update(Path(p) for p in state["used"])
            store.written.extend(Path(p) for p in state["written"])
            store.held.update((Path(f), case) for f, case in state["held"])

    @property
    def failed(self) -> list[int]:
        """Exit codes of helpers that did not finish cleanly (their cases ran here)."""
        return [h.exit_code for h in self.helpers if h.exit_code not in (0, None)]

    # -- reading -----------------------------------------------------------------------

    def _read(self, helper: _Helper, deliver: Deliver) -> None:
        while True:
            try:
                data = os.read(helper.fd, READ_SIZE)
            except BlockingIOError:
                return
            if not data:  # the helper closed its end: it is done (or dead)
                os.close(helper.fd)
                helper.closed = True
                helper.pending.clear()  # a torn last line: its case runs again here
                return
            helper.pending += data
            end = helper.pending.rfind(b"\n")
            if end < 0:
                continue
            whole, rest = helper.pending[:end], helper.pending[end + 1 :]
            helper.pending = bytearray(rest)
            for line in whole.split(b"\n"):
                self._line(bytes(line), deliver)

    def _line(self, line: bytes, deliver: Deliver) -> None:
        kind, body = line[:1], line[1:]
        if kind == b"S":
            with contextlib.suppress(ValueError):
                state = json.loads(body)
                if _snapshot_state(state):
                    self.snapshot_states.append(state)
                    return
            self.dropped += 1
            return
        number, _, text = body.partition(b"\t")
        try:
            index = int(number)
            result = CaseResult.model_validate_json(text)
        except ValueError:  # pydantic's ValidationError is one
            self.dropped += 1
            return
        if kind != b"R" or not 0 <= index < len(self.taken) or self.taken[index]:
            self.dropped += 1
            return
        self.taken[index] = 1
        deliver(result, text.decode("utf-8"))

    def _reap(self) -> None:
        for helper in self.helpers:
            if helper.exit_code is None:
                with contextlib.suppress(ChildProcessError):
                    _, status = os.waitpid(helper.pid, 0)
                    helper.exit_code = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(OSError):
            os.close(self.tickets)
        self.tickets = -1


def _wait(helpers: list[_Helper], timeout_s: float | None = None) -> None:
    """Until one of ``helpers`` has sent something (or closed), or ``timeout_s`` passed
    (``poll``, not ``select``: a busy process may hold descriptors past 1024)."""
    poller = select.poll()
    for helper in helpers:
        poller.register(helper.fd, select.POLLIN)
    with contextlib.suppress(InterruptedError):
        poller.poll(None if timeout_s is None else max(0, int(timeout_s * 1000)))


def _snapshot_state(state: Any) -> bool:
    """A helper's snapshot state as :func:`_serve` sends it: two lists of paths, and the
    held cases as (folder, case) pairs."""
    if not isinstance(state, dict) or set(state) != {"used", "written", "held"}:
        return False
    lists = [state[k] for k in ("used", "written", "held")]
    if not all(isinstance(v, list) for v in lists):
        return False
    used, written, held = lists
    return all(isinstance(p, str) for p in [*used, *written]) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in held
    )


def _claim(fd: int, chunk: int, total: int) -> range | None:
    """The case indices of the next ticket, or None: every ticket is taken."""
    ticket = os.read(fd, TICKET)
    if len(ticket) < TICKET:
        return None
    start = int.from_bytes(ticket, "big") * chunk
    return range(start, min(start + chunk, total))


def _claims(fd: int, chunk: int, total: int) -> Iterator[int]:
    """The case indices of the tickets this process takes, until none are left."""
    while fd >= 0 and (claimed := _claim(fd, chunk, total)) is not None:
        yield from claimed


def _serve(
    engine: Engine,
    plan: Sequence[PlannedCase],
    chunk: int,
    tickets: int,
    out: int,
    writer: RunWriter,
) -> None:
    """A helper's life: run the cases of the tickets it takes, send each result's line as
    it finishes, then its snapshot state."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    store = engine.snapshots  # its state is sent back: only what this helper's cases did
    store.used, store.written, store.held = set(), [], set()
    waiting: dict[str, int] = {}

    def mine() -> Iterator[PlannedCase]:
        for index in _claims(tickets, chunk, len(plan)):
            planned = plan[index]
            waiting[planned.item_id] = index
            yield planned

    def send(result: CaseResult) -> None:
        index = waiting.pop(result.item_id)
        _send(out, b"R%d\t" % index + writer.encode(result).encode("utf-8") + b"\n")

    asyncio.run(engine.run(mine(), send, check_cost=False))
    state = {
        "used": [str(p) for p in store.used],
        "written": [str(p) for p in store.written],
        "held": [[str(f), case] for f, case in store.held],
    }
    _send(out, b"S" + json.dumps(state).encode("utf-8") + b"\n")
    os.close(out)


def _send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


__all__ = ["Helpers", "processes_for"]
