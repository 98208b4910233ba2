"""Benchmark (b) of batch runs: ``python benchmarks/batch.py [--cases N]`` prints the figures.

10,000 cases through ``evalkit run --mode batch`` against the testing server (in its own
process, on 127.0.0.1) whose batches take ``--delay`` seconds and fail 2% and expire 1% of
their lines. The run is interrupted with SIGINT (Ctrl-C) while it waits on its first batch,
then resumed with ``evalkit run --resume``. Printed: cases lost (without a passing result),
duplicate submissions (lines sent again that no batch had failed or expired: the testing
server counts every line whose request an earlier line already carried, and the run's
ledger says which lines its batches did not answer), batches created against batches in the
run's ledger (an orphan batch would be a double submission too), follow-up rounds, and times.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Server, env_for, evalkit_cmd, lost_cases, make_project, run_child


def run_until_submitted(
    cmd: list[str], root: Path, env: dict[str, str], wait_s: float
) -> tuple[int, str, float]:
    """Start a batch run, send SIGINT ``wait_s`` after its first batch was submitted:
    (exit code, output, seconds until the batch was submitted)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    submitted = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("submitted batch"):
                submitted.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not submitted.wait(timeout=600):
        proc.kill()
        raise RuntimeError("no batch was submitted:\n" + "".join(lines[-20:]))
    took = time.perf_counter() - started
    time.sleep(wait_s)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=120)
    reader.join(timeout=10)
    return code, "".join(lines), took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=30.0, help="seconds a batch takes")
    parser.add_argument("--fail", type=float, default=0.02, help="share of lines failed")
    parser.add_argument("--expire", type=float, default=0.01, help="share of lines expired")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evalkit-batch-bench-") as tmp:
        root = make_project(
            Path(tmp) / "project",
            args.cases,
            "batch_poll_s = 0.5\nbatch_poll_max_s = 2.0\n",
        )
        server = Server(
            root,
            "--batch-delay-s",
            str(args.delay),
            "--batch-fail-rate",
            str(args.fail),
            "--batch-expire-rate",
            str(args.expire),
            "--seed",
            "7",
        )
        results = root / "runs"
        env = env_for(server, results)
        try:
            started = time.perf_counter()
            code, out, submit_s = run_until_submitted(
                evalkit_cmd("run", "--mode", "batch"), root, env, wait_s=args.delay / 4
            )
            interrupted_at = time.perf_counter() - started
            assert code == 130, (
                f"expected the interrupt's exit code 130, got {code}:\n{out[-2000:]}"
            )
            (folder,) = results.iterdir()
            assert f"evalkit run --resume {folder.name}" in out, out[-2000:]
            at_interrupt = server.stats()
            code, resume_s, rss, resume_out = run_child(
                evalkit_cmd("run", "--resume", folder.name), root, env
            )
            total_s = time.perf_counter() - started
            stats = server.stats()
        finally:
            server.stop()
        ledger = json.loads((folder / "batches.json").read_text())["batches"]
        not_answered = sum(b["total"] - b["completed"] for b in ledger)
        duplicates = stats["batch_lines_repeated"] - not_answered
        lost = lost_cases(results, args.cases)
        recordings = sum(1 for _ in (root / "snapshots" / "recordings").rglob("*.json"))
        figures = {
            "cases": args.cases,
            "batch delay s (server)": args.delay,
            "failed / expired line rates": f"{args.fail:.0%} / {args.expire:.0%}",
            "resume exit code": code,
            "lost cases": lost,
            "duplicate submissions": duplicates,
            "batches created (server)": stats["batches_created"],
            "batches in the run's ledger": len(ledger),
            "batches created before the interrupt": at_interrupt["batches_created"],
            "lines submitted": stats["batch_lines_submitted"],
            "lines a batch failed or expired (re-sent)": not_answered,
            "lines re-sent (server count)": stats["batch_lines_repeated"],
            "follow-up rounds": max(b["round"] for b in ledger),
            "requests sent live": stats["by_path"].get("/v1/chat/completions", 0),
            "recordings written": recordings,
            "s to plan and submit the first batch": round(submit_s, 1),
            "s until interrupted (mid-wait)": round(interrupted_at, 1),
            "s to resume and finish": round(resume_s, 1),
            "s total": round(total_s, 1),
            "peak RSS of the resumed run, MB": round(rss),
        }
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name.ljust(width)}  {value}")
    if code != 0 or lost or duplicates:
        print(resume_out[-3000:], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
