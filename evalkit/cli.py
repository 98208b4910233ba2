"""``evalkit``: parse, call the engine, print, exit (0 passed, 1 a gate failed, 2 bad input)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Mode, find_root, load_settings
from .engine.run import Engine
from .errors import ConfigError, EvalkitError
from .project import open_project
from .prompts import PromptStore
from .results import CaseResult, RunWriter, new_run_id, summarize

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 too; keep its message short
        self.print_usage(sys.stderr)
        raise SystemExit(f"evalkit: error: {message}")


def _engine_flags(parser: argparse.ArgumentParser, mode: bool = True) -> None:
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help="suite files or folders (default: the suites folder)",
    )
    if mode:
        parser.add_argument(
            "--mode",
            choices=[m.value for m in Mode],
            help="replay (default), record, rerecord or live",
        )
    parser.add_argument("--variant", help="run a named variant of the suites")
    parser.add_argument("--concurrency", type=int, help="requests in flight at most (default 16)")
    parser.add_argument(
        "--timeout", type=float, dest="timeout_s", help="seconds per request (default 60)"
    )
    parser.add_argument("--max-retries", type=int, help="retries per request (default 6)")
    parser.add_argument("--results", help="folder for run results (default .evalkit/runs)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="evalkit", description="Prompt regression tests for the OpenAI API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _engine_flags(sub.add_parser("run", help="run suites (replay by default)"))
    _engine_flags(
        sub.add_parser("record", help="run suites, recording what is not recorded yet"), mode=False
    )
    check = sub.add_parser(
        "check", help="validate suites, templates, schemas, pins and the lock; no API calls"
    )
    check.add_argument("suites", nargs="*", metavar="SUITE")
    check.add_argument(
        "--strict", action="store_true", help="missing recordings are errors, not warnings"
    )
    lock = sub.add_parser("lock", help="add new prompt versions to prompts/evalkit.lock")
    lock.add_argument("--root", default=".", help="project folder (default: the current one)")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("mode", "concurrency", "timeout_s", "max_retries", "results")
    return {k: getattr(args, k, None) for k in keys}


def _describe(result: CaseResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "cost n/a"
    sources = sorted({s.source for s in result.samples if s.source}) or ["-"]
    detail = f"{'+'.join(sources)}, {result.input_tokens} in/{result.output_tokens} out tokens, {cost}, {result.latency_ms:.0f} ms"
    return f"{verdict} {result.item_id}  ({detail})"


def cmd_run(args: argparse.Namespace, mode: Mode | None = None) -> int:
    overrides = _overrides(args)
    if mode is not None:
        overrides["mode"] = mode
    project = open_project(args.suites, overrides)
    planned = project.plan(args.variant)
    settings = project.settings
    run_id = new_run_id()
    engine = Engine(settings)
    meta = {
        "run_id": run_id,
        "mode": engine.mode.value,
        "variant": args.variant,
        "suites": [str(s.path) for s in project.suites],
        "cases": len(planned),
    }
    finished: list[CaseResult] = []
    with RunWriter(settings.results_dir / run_id, meta) as writer:

        def on_result(result: CaseResult) -> None:
            writer.write(result)
            finished.append(result)
            print(_describe(result), flush=True)
            if not result.passed:
                print("  " + result.failure_report().replace("\n", "\n  "), flush=True)

        try:
            engine.run_sync(planned, on_result)
        except KeyboardInterrupt:
            print(
                f"\ninterrupted: {len(finished)} of {len(planned)} cases finished and kept in {writer.path}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
    summaries = summarize(finished, project.thresholds())
    for summary in summaries:
        print(summary.line())
    print(f"results: {writer.path}")
    return EXIT_OK if all(s.gate_passed for s in summaries) else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    from .checking import run_check

    return run_check(args.suites, strict=args.strict)


def cmd_lock(args: argparse.Namespace) -> int:
    settings = load_settings(find_root(Path(args.root)))
    store = PromptStore(settings.prompts_dir)
    added = store.write_lock()
    for ref in added:
        print(f"locked {ref} {store.digest(ref)}")
    if not added:
        print(f"nothing to lock: every prompt version is in {store.lock_path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "record":
            return cmd_run(args, Mode.RECORD)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "lock":
            return cmd_lock(args)
    except ConfigError as exc:
        print(f"{exc}", file=sys.stderr)
        return EXIT_USAGE
    except EvalkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
