"""``evalkit``: parse, call the engine, print, exit (0 passed, 1 a gate failed, 2 bad input)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .config import Mode, find_root, load_settings
from .display import RunDisplay
from .engine.run import Engine, PlannedCase
from .errors import ConfigError, EvalkitError, display_path
from .project import open_project
from .prompts import PromptStore
from .results import CaseResult, RunWriter, latest_results, new_run_id
from .snapshots import snapshot_variant

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        """A usage error: the usage line, the reason, exit 2 (as every usage error here)."""
        self.print_usage(sys.stderr)
        print(f"evalkit: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


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
    parser.add_argument(
        "--rpm", type=int, help="requests per minute (default: learned from the API's headers)"
    )
    parser.add_argument(
        "--tpm", type=int, help="tokens per minute (default: learned from the API's headers)"
    )
    parser.add_argument("--results", help="folder for run results (default .evalkit/runs)")
    parser.add_argument(
        "--resume", metavar="RUN", help="finish an interrupted run (its folder or run id)"
    )
    parser.add_argument(
        "--run-id",
        help="name of the run's folder (default: a timestamp); an existing run is replaced",
    )
    parser.add_argument(
        "--all-variants",
        action="store_true",
        help="run the suites as written and under every variant",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    parser.add_argument(
        "--snapshot-update",
        action="store_true",
        dest="update_snapshots",
        help="accept changed output snapshots",
    )


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--markdown", metavar="FILE", help="write a markdown report (PR comment, job summary)"
    )
    parser.add_argument(
        "--html", metavar="FILE", help="write a self-contained HTML report with charts"
    )
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")


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
    check.add_argument(
        "--format", choices=["text", "github"], default="text", help="github: workflow annotations"
    )
    diff = sub.add_parser("diff", help="compare two variants (or two finished runs) case by case")
    diff.add_argument(
        "a", nargs="?", metavar="A", help="variant name, `base`, or key=value override"
    )
    diff.add_argument(
        "b",
        nargs="?",
        metavar="B",
        help="variant name, `base`, or key=value override (prompt=triage@v3)",
    )
    diff.add_argument("suites", nargs="*", metavar="SUITE")
    diff.add_argument(
        "--runs",
        nargs=2,
        metavar=("RUN_A", "RUN_B"),
        help="compare two finished runs (folders, results files or run ids)",
    )
    diff.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        help="replay (default) or record to fill what is missing",
    )
    diff.add_argument("--concurrency", type=int)
    diff.add_argument(
        "--fail-on", choices=["regressions", "pass-rate", "none"], default="regressions"
    )
    _outputs(diff)
    report = sub.add_parser("report", help="render one finished run")
    report.add_argument("run", metavar="RUN", help="run folder, results file or run id")
    _outputs(report)
    init = sub.add_parser("init", help="scaffold a working example project (recorded offline)")
    init.add_argument("dir", nargs="?", default=".", metavar="DIR")
    lock = sub.add_parser("lock", help="add new prompt versions to prompts/evalkit.lock")
    lock.add_argument("--root", default=".", help="project folder (default: the current one)")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "mode",
        "concurrency",
        "timeout_s",
        "max_retries",
        "results",
        "rpm",
        "tpm",
        "update_snapshots",
    )
    return {k: getattr(args, k, None) for k in keys}


def _resolve_run(ref: str, results_dir: Path) -> Path:
    for candidate in (Path(ref), results_dir / ref):
        if (candidate / "run.json").is_file():
            return candidate
    raise ConfigError(
        f"no run {ref!r}: expected a run folder (with run.json) or a run id under {results_dir}"
    )


async def _until_signal(
    engine: Engine, planned: list[PlannedCase], on_result: Any
) -> list[CaseResult]:
    """Run; SIGINT or SIGTERM cancels cleanly (finished cases are already written)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await engine.run(planned, on_result)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def snapshot_lines(engine: Engine, ran: Iterable[tuple[str, str | None]]) -> list[str]:
    """What --snapshot-update wrote, and which snapshots no case used (syrupy's way):
    reported, or deleted with --snapshot-update."""
    store, lines = engine.snapshots, []
    if store.written:
        lines.append(f"{len(store.written)} snapshot(s) written or updated")
    unused = store.unused(ran)
    names = ", ".join(display_path(p) for p in unused)
    if unused and engine.settings.update_snapshots:
        for path in unused:
            path.unlink()
        lines.append(f"{len(unused)} unused snapshot(s) deleted: {names}")
    elif unused:
        lines.append(
            f"{len(unused)} snapshot(s) unused: {names} (delete them with --snapshot-update)"
        )
    return lines


def cmd_run(args: argparse.Namespace, mode: Mode | None = None) -> int:
    overrides = _overrides(args)
    if mode is not None:
        overrides["mode"] = mode
    suites, variant = list(args.suites), args.variant
    done: set[str] = set()
    finished: list[CaseResult] = []
    folder: Path | None = None
    if args.resume:
        base = load_settings(find_root(Path.cwd()), overrides)
        folder = _resolve_run(args.resume, base.results_dir)
        meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        suites, variant = meta["suites"], meta.get("variant")
        overrides = {
            **meta.get("overrides", {}),
            **{k: v for k, v in overrides.items() if v is not None},
        }
        finished = [r for r in latest_results(folder) if r.status == "done"]
        done = {r.item_id for r in finished}
    project = open_project(suites, overrides)
    if getattr(args, "all_variants", False):
        variants = [None, *sorted({v for s in project.suites for v in s.variants})]
        candidates = [p for v in variants for p in project.plan_some(v)]
    else:
        candidates = project.plan(variant)
    planned = [p for p in candidates if p.item_id not in done]
    settings = project.settings
    engine = Engine(settings)
    run_id = folder.name if folder else (args.run_id or new_run_id())
    if folder is None:
        folder = settings.results_dir / run_id
        if args.run_id and folder.exists():
            shutil.rmtree(folder)
    meta = {
        "run_id": run_id,
        "mode": engine.mode.value,
        "variant": variant,
        "suites": [str(s.path) for s in project.suites],
        "overrides": {
            k: v for k, v in _overrides(args).items() if v is not None and k != "results"
        },
        "cases": len(planned) + len(done),
    }
    display = RunDisplay(len(planned), engine.stats, verbose=args.verbose)
    for result in finished:
        display.tally(result)
    finished.clear()
    if done:
        display.say(
            f"resuming run {run_id}: {len(done)} cases already finished, {len(planned)} to go"
        )
    with RunWriter(folder, meta) as writer, display:

        def on_result(result: CaseResult) -> None:
            writer.write(result)
            display.result(result)

        try:
            asyncio.run(_until_signal(engine, planned, on_result))
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
        else:
            interrupted = False
    if interrupted:
        print(
            f"\ninterrupted: {display.done} of {len(planned)} cases finished and kept in {writer.path}\n"
            f"resume with: evalkit run --resume {run_id}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    summaries = display.summaries(project.thresholds())
    display.close(summaries)
    if not done:  # a whole run: snapshots no case read are unused
        ran = {(p.suite.name, snapshot_variant(p.target.variant)) for p in candidates}
        for line in snapshot_lines(engine, ran):
            print(line)
    print(f"results: {writer.path}")
    breaker = engine.breaker
    if breaker.opened:
        print(
            f"circuit breaker open: {breaker.describe()}; stopped sending to save quota, "
            f"{display.not_run} cases not run.\nfix the cause, then: evalkit run --resume {run_id}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK if all(s.gate_passed for s in summaries) else EXIT_FAILED


def _run_results(ref: str) -> list[CaseResult]:
    path = Path(ref)
    if path.is_file() or (path / "results.jsonl").is_file():
        return latest_results(path)
    settings = load_settings(find_root(Path.cwd()))
    return latest_results(_resolve_run(ref, settings.results_dir))


def _label(ref: str) -> str:
    path = Path(ref)
    return path.parent.name if path.name == "results.jsonl" else path.name


def _write_reports(args: argparse.Namespace, report: Any) -> None:
    from .report import to_html, to_json, to_markdown

    for flag, render in (("markdown", to_markdown), ("html", to_html), ("json", to_json)):
        target = getattr(args, flag, None)
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(render(report), encoding="utf-8")
            print(f"{flag}: {target}")


def _slim(result: CaseResult) -> CaseResult:
    """What a diff needs of a result: verdicts, outputs and usage, not every check's message
    (a 10,000-case diff holds both sides at once)."""
    samples = [s.model_copy(update={"checks": [], "aux": []}) for s in result.samples]
    return result.model_copy(update={"samples": samples})


def cmd_diff(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .diff import compare
    from .report import print_terminal

    if args.runs:
        if args.a:
            args.suites = [args.a, *([args.b] if args.b else []), *args.suites]
        run_a, run_b = args.runs
        report = compare(_run_results(run_a), _run_results(run_b), _label(run_a), _label(run_b))
    else:
        if not args.a or not args.b:
            raise ConfigError("evalkit diff needs two variants (A B) or --runs RUN_A RUN_B")
        project = open_project(args.suites, {"mode": args.mode, "concurrency": args.concurrency})
        engine = Engine(project.settings)
        sides = []
        for variant in (args.a, args.b):
            kept: list[CaseResult] = []

            def keep(result: CaseResult, kept: list[CaseResult] = kept) -> None:
                kept.append(_slim(result))

            engine.run_sync(project.plan(variant), keep)
            sides.append(kept)
        report = compare(sides[0], sides[1], args.a, args.b)
    console = Console(soft_wrap=True, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=True, highlight=False, width=180)
    print_terminal(report, console)
    _write_reports(args, report)
    return EXIT_FAILED if report.failed(args.fail_on) else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .diff import compare

    results = _run_results(args.run)
    report = compare(results, results, _label(args.run), _label(args.run))
    for suite in report.suites:
        print(
            f"{suite.suite}: {suite.a.passed}/{suite.a.total} passed ({suite.a.rate:.0%}, Wilson 95% {suite.a.low:.0%}-{suite.a.high:.0%}); "
            f"p50/p95 {suite.a.p50_ms:.0f}/{suite.a.p95_ms:.0f} ms; $/1k cases {suite.a.cost_per_1000 if suite.a.cost_per_1000 is not None else 'n/a'}"
        )
    _write_reports(args, report)
    return EXIT_OK if all(s.a.passed == s.a.total for s in report.suites) else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    from .checking import run_check

    return run_check(args.suites, strict=args.strict, fmt=args.format)


def cmd_init(args: argparse.Namespace) -> int:
    from .init import record, scaffold

    folder = Path(args.dir).resolve()
    written = scaffold(folder)
    code = record(folder)
    if code == 2:
        return EXIT_USAGE
    print(
        f"\nevalkit project in {display_path(folder)}: {len(written)} files, recordings from the bundled testing server."
    )
    print("next: cd into it and run `pytest --evalkit suites/` (offline), then read README.md")
    return EXIT_OK


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
        if args.command == "diff":
            return cmd_diff(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "lock":
            return cmd_lock(args)
        if args.command == "init":
            return cmd_init(args)
    except ConfigError as exc:
        print(f"{exc}", file=sys.stderr)
        return EXIT_USAGE
    except EvalkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before or after a run's own handling: nothing half-written
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
