"""``evalkit``: parse, call the library, print, exit (0 passed, 1 a gate failed, 2 bad input,
130 interrupted). Flags of settings come from :data:`evalkit.config.OPTIONS`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..config import OPTIONS, Mode, find_root, load_settings
from ..errors import ConfigError, EvalkitError, display_path
from ..io.redaction import redact
from ..project import shard
from ..prompts import PromptStore
from ..results import CaseResult
from ..runs.session import Session
from . import batch as batch_cli
from .display import RunDisplay, console_for_output

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
REMEDIES = {"record": "run with --mode record (or `evalkit record`)"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        """A usage error: the usage line, the reason, exit 2 (as every usage error here)."""
        self.print_usage(sys.stderr)
        print(f"evalkit: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _settings_flags(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    for option in OPTIONS:
        if option.setting in skip:
            continue
        parser.add_argument(
            option.flag,
            dest=option.setting,
            type=option.type,
            choices=option.choices,
            metavar=option.metavar,
            help=option.help + (f"; also {option.env}" if option.env else ""),
        )


def _run_flags(parser: argparse.ArgumentParser, *, mode: bool = True) -> None:
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help="suite files or folders (default: suites/)"
    )
    _settings_flags(parser, skip=() if mode else ("mode",))
    parser.add_argument("--variant", help="run a named variant (or base, or key=value)")
    parser.add_argument(shard.FLAG, metavar=shard.METAVAR, help=shard.HELP)
    parser.add_argument("--resume", metavar="RUN", help="finish an interrupted run (folder or id)")
    parser.add_argument(
        "--run-id",
        help="name of the run's folder (default: a timestamp); an earlier run of "
        "that id is replaced",
    )
    parser.add_argument(
        "--all-variants", action="store_true", help="the suites as written and every variant"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    parser.add_argument(
        "--snapshot-update",
        action="store_true",
        dest="update_snapshots",
        default=None,
        help="accept changed output snapshots",
    )


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", metavar="FILE", help="write a markdown report")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="evalkit", description="Prompt regression tests for the OpenAI API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _run_flags(sub.add_parser("run", help="run suites (replay by default)"))
    _run_flags(sub.add_parser("record", help="= run --mode record"), mode=False)
    check = sub.add_parser("check", help="validate suites, templates, schemas, pins, the lock")
    check.add_argument("suites", nargs="*", metavar="SUITE")
    check.add_argument("--strict", action="store_true", help="missing recordings are errors")
    check.add_argument(
        "--format", choices=["text", "github"], default="text", help="github: annotations"
    )
    diff = sub.add_parser("diff", help="compare two variants (or two finished runs) case by case")
    diff.add_argument("a", nargs="?", metavar="A", help="variant name, `base`, or key=value")
    diff.add_argument("b", nargs="?", metavar="B", help="variant name, `base`, or key=value")
    diff.add_argument("suites", nargs="*", metavar="SUITE")
    diff.add_argument(
        "--runs",
        nargs="+",
        metavar="RUN",
        help="compare finished runs: --runs A B, or several a side (CI shards, as their "
        "union): --runs BASE... -- HEAD...",
    )
    diff.add_argument("--mode", choices=Mode.choices(), help="replay (default) or record")
    diff.add_argument("--concurrency", type=int)
    diff.add_argument(
        "--fail-on", choices=["regressions", "pass-rate", "none"], default="regressions"
    )
    _outputs(diff)
    report = sub.add_parser(
        "report", help="finished runs (several: CI shards, as one): verdicts, failures, figures"
    )
    report.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run folders, results files or run ids; several are reported as their union",
    )
    _outputs(report)
    init = sub.add_parser("init", help="scaffold a working example project (recorded offline)")
    init.add_argument("dir", nargs="?", default=".", metavar="DIR")
    init.add_argument(
        "--source",
        metavar="SPEC",
        help="where the project installs evalkit from: a git URL (git+https://...@TAG), an "
        "archive URL, a folder, or a version specifier such as '>=0.2' (default: where this "
        "evalkit was installed from)",
    )
    lock = sub.add_parser("lock", help="add new prompt versions to prompts/evalkit.lock")
    lock.add_argument("--root", default=".", help="project folder (default: the current one)")
    from .. import importers, view

    view.add_parser(sub)
    importers.add_parser(sub)
    batch_cli.add_parsers(sub)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = [o.setting for o in OPTIONS] + ["update_snapshots"]
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


async def _until_signal(session: Session, on_result: Callable[[CaseResult], None]) -> None:
    """Run; SIGINT or SIGTERM cancels cleanly (finished cases are already written)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await session.run(on_result)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def cmd_run(args: argparse.Namespace, mode: Mode | None = None) -> int:
    overrides = _overrides(args)
    if mode is not None:
        overrides["mode"] = mode
    part = shard.Shard.parse_optional(args.shard)
    if args.resume:
        if part is not None:
            raise ConfigError(
                f"{shard.FLAG} with --resume: a resumed run keeps the shard it started with "
                "(in its run.json); drop --shard"
            )
        session = Session.resume(args.resume, overrides)
    else:
        session = Session.start(
            args.suites,
            overrides,
            variant=args.variant,
            all_variants=args.all_variants,
            run_id=args.run_id,
            replace=bool(args.run_id),
            shard=part,
        )
    run_id = session.meta.run_id
    if session.meta.shard and not session.planned and not session.finished_before:
        session.run_sync()  # an empty results file: the union of the shards reads every one
        print(
            f"shard {session.meta.shard} holds none of these suites' cases: nothing to run\n"
            f"results: {session.results_path}"
        )
        return EXIT_OK
    display = RunDisplay(
        len(session.planned), session.engine.stats, verbose=args.verbose, remedies=REMEDIES
    )
    if session.finished_before:
        display.say(
            f"resuming run {run_id} ({session.meta.mode.value}): {session.finished_before} cases "
            f"already finished, {len(session.planned)} to go"
        )
    if session.skipped_lines:
        display.say(f"warning: skipped unreadable lines {session.skipped_lines} of the results")
    with display:
        if session.engine.batch is not None:
            batch_cli.watch(display, session.engine.batch.progress)
        try:
            asyncio.run(_until_signal(session, display.result))
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
        else:
            interrupted = False
    if interrupted:
        print(
            f"\ninterrupted: {display.done} of {len(session.planned)} cases finished and kept in "
            f"{session.results_path}\nresume with: evalkit run --resume {run_id}",
            file=sys.stderr,
        )
        batch_cli.print_note(batch_cli.interrupted_note(session))
        return EXIT_INTERRUPTED
    display.close(session.summaries(), session.figures)
    if note := batch_cli.summary_note(session):
        display.say(note)
    for line in session.snapshots().lines():
        print(line)
    print(f"results: {session.results_path}")
    breaker = session.engine.breaker
    if breaker.opened:
        print(
            redact(
                f"circuit breaker open: {breaker.describe()}; stopped sending to save quota, "
                f"{display.not_run} cases not run.\nfix the cause, then: evalkit run --resume {run_id}"
            ),
            file=sys.stderr,
        )
        return EXIT_FAILED
    capped = batch_cli.cost_cap_note(session)
    if capped:
        batch_cli.print_note(capped)
        return EXIT_FAILED
    return EXIT_OK if session.passed else EXIT_FAILED


def _results_dir() -> Path:
    return load_settings(find_root(Path.cwd())).results_dir


def _html(target: str, render: Callable[[Path], str]) -> None:
    """The viewer page (one HTML renderer for report, diff and view)."""
    _write(target, render(Path(target)), "html report")


def _write(target: str, text: str, what: str) -> None:
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the {what}: {exc.strerror or exc}", path) from None
    print(f"{what}: {target}")


def _run_sides(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """``--runs A B`` (one run a side), or ``--runs BASE... -- HEAD...``."""
    base = list(args.runs)
    head = [ref for ref in (args.a, args.b, *args.suites) if ref]
    if not head:
        if len(base) != 2:
            raise ConfigError(
                "evalkit diff --runs takes two runs (--runs BASE HEAD), or several a side "
                "separated by `--`: --runs BASE... -- HEAD..."
            )
        return base[:1], base[1:]
    return base, head


def cmd_diff(args: argparse.Namespace) -> int:
    from .. import view
    from ..compare.diff import LIMIT
    from ..compare.render import print_terminal, to_json, to_markdown
    from ..runs.runsets import RunSet, compare_runs

    sides: tuple[Any, Any]
    if args.runs:
        refs_a, refs_b = _run_sides(args)
        runs_a = RunSet.open(refs_a, _results_dir())
        runs_b = RunSet.open(refs_b, _results_dir())
        report = compare_runs(runs_a, runs_b, LIMIT)
        for warning in runs_a.warnings() + runs_b.warnings():
            print(f"warning: {warning}", file=sys.stderr)
        sides = (runs_a.paths, runs_b.paths)
        labels = (runs_a.label, runs_b.label)
    else:
        if not args.a or not args.b:
            raise ConfigError("evalkit diff needs two variants (A B) or --runs RUN_A RUN_B")
        from ..runs.dualrun import run_both

        overrides = {"mode": args.mode, "concurrency": args.concurrency}
        report, (a, b) = run_both(args.suites, args.a, args.b, overrides, keep=bool(args.html))
        sides = (view.from_results(args.a, a), view.from_results(args.b, b))
        labels = (args.a, args.b)
    print_terminal(report, console_for_output(180))
    for flag, render in (("markdown", to_markdown), ("json", to_json)):
        if getattr(args, flag, None):
            _write(getattr(args, flag), render(report), f"{flag} report")
    if args.html:
        # the page lists every case: a diff too big to list them all is computed again there
        _html(
            args.html,
            lambda out: view.render_comparison(
                sides[0],
                sides[1],
                report=report if report.complete else None,
                results_dir=_results_dir(),
                out=out,
                labels=labels,
            ),
        )
    return EXIT_FAILED if report.failed(args.fail_on) else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .. import view
    from ..runs import report as run_report
    from ..runs.runsets import RunSet, by_item

    runs = RunSet.open(args.runs, _results_dir())
    report, figures = run_report.build(runs.union(by_item), runs.label, [], REMEDIES)
    unfinished = runs.unfinished()
    report.warnings = runs.warnings() + unfinished
    report.passed = report.passed and not unfinished
    run_report.print_terminal(report, figures, console_for_output())
    for flag, render in (("markdown", run_report.to_markdown), ("json", run_report.to_json)):
        if getattr(args, flag, None):
            _write(getattr(args, flag), render(report), f"{flag} report")
    if args.html:
        _html(
            args.html,
            lambda out: view.render_run(runs.paths, results_dir=_results_dir(), out=out),
        )
    return EXIT_OK if report.passed else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    from ..project.validate import run_check

    return run_check(args.suites, strict=args.strict, fmt=args.format)


def cmd_init(args: argparse.Namespace) -> int:
    from ..project.distribution import requirement
    from ..project.scaffold import init_project

    try:
        needs = requirement(args.source)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    folder = Path(args.dir).resolve()
    written, passed = init_project(folder, needs.line)
    print(
        f"\nevalkit project in {display_path(folder)}: {len(written)} files, recordings from "
        "the bundled testing server."
    )
    print(f"pyproject.toml installs evalkit as {needs.line!r} (from {needs.origin})")
    if not needs.portable:
        print(
            "note: that is a folder on this machine, which CI cannot install: before you push, "
            "set the dependency in pyproject.toml to your evalkit's git URL "
            "('pytest-evalkit @ git+https://...@TAG') or to 'pytest-evalkit' once it is on "
            "PyPI (evalkit init --source SPEC writes it for you)",
            file=sys.stderr,
        )
    if not passed:
        print(
            "the example's own suites did not pass when recorded: please report this",
            file=sys.stderr,
        )
        return EXIT_FAILED
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


def cmd_import(args: argparse.Namespace) -> int:
    from .. import importers

    return importers.run(args)


def cmd_view(args: argparse.Namespace) -> int:
    from .. import view

    return view.run(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "record": lambda args: cmd_run(args, Mode.RECORD),
    "check": cmd_check,
    "diff": cmd_diff,
    "report": cmd_report,
    "lock": cmd_lock,
    "init": cmd_init,
    "view": cmd_view,
    "import": cmd_import,
    "estimate": batch_cli.cmd_estimate,
    "batch": batch_cli.cmd_batch,
}


def _head_runs_then_options(argv: list[str]) -> list[str]:
    """``diff --runs BASE... -- HEAD... --markdown F``: the head runs end at the next option
    (argparse would take every word after ``--`` as a run), so options written after them
    are moved before the ``--``."""
    if len(argv) < 2 or argv[0] != "diff" or "--" not in argv:
        return argv
    cut = argv.index("--")
    rest = argv[cut + 1 :]
    end = next((i for i, word in enumerate(rest) if word.startswith("-")), len(rest))
    return argv[:cut] + rest[end:] + ["--"] + rest[:end]


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_head_runs_then_options(words))
    try:
        return COMMANDS[args.command](args)
    except EvalkitError as exc:  # bad input, found before or during the run
        print(redact(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before or after a run's own handling: nothing half-written
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
