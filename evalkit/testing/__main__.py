"""``python -m evalkit.testing [--script FILE] [--port N] [limits, faults, streams, batches]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import date

from ..errors import ConfigError
from ..wire.lifecycle import KNOWN_SHUTDOWNS
from .model import Script
from .server import Faults, TestingServer

_SHARES_AND_DELAYS = (
    ("--latency-ms", "added to every answer"),
    ("--error-rate", "share of requests answered 5xx"),
    ("--hang-rate", "share of requests left hanging"),
    ("--malformed-rate", "share answered with a broken body"),
    ("--drop-rate", "share whose connection is dropped"),
    ("--stream-drop-rate", "share of streams whose connection closes halfway through"),
    ("--ttft-ms", "delay before a stream's first token"),
    ("--chunk-delay-ms", "delay between streamed chunks"),
    ("--batch-delay-s", "time a batch takes from creation to done"),
    ("--batch-fail-rate", "share of batch lines answered 500"),
    ("--batch-expire-rate", "share of batch lines left unfinished (the batch ends expired)"),
)


def build(argv: list[str] | None = None) -> TestingServer:
    """The server the command line describes, bound but not yet serving."""
    parser = argparse.ArgumentParser(prog="python -m evalkit.testing", description=__doc__)
    parser.add_argument(
        "--script",
        help="YAML file of rules (when: [regex...], reply: text or JSON, tool_calls: [...])",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", help="require this bearer token (default: any non-empty one)")
    parser.add_argument("--rpm", type=int, help="requests per minute before 429s")
    parser.add_argument(
        "--tpm", type=int, help="tokens per minute (input + max tokens) before 429s"
    )
    for flag, help_text in _SHARES_AND_DELAYS:  # floats, 0 by default
        parser.add_argument(flag, type=float, default=0.0, help=help_text)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    parser.add_argument(
        "--batch-expire-after-s",
        type=float,
        default=None,
        help="a batch not done this long after creation expires",
    )
    parser.add_argument(
        "--burst",
        type=float,
        default=1.0,
        help="share of each per-minute budget available at the first request (OpenAI: 1)",
    )
    parser.add_argument(
        "--shutdown",
        action="append",
        default=[],
        metavar="MODEL=YYYY-MM-DD",
        help="announce a shutdown date in /v1/models (repeatable; default: OpenAI's announced "
        "dates for the models listed)",
    )
    parser.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="requests to models shut down by then answer 404 model_not_found (default: today)",
    )
    args = parser.parse_args(argv)
    shutdowns: dict[str, date | str] | None = None
    if args.shutdown:
        shutdowns = dict(KNOWN_SHUTDOWNS)
        for spec in args.shutdown:
            model, _, day = spec.partition("=")
            if not model.strip():
                raise ConfigError(f"--shutdown {spec!r}: write MODEL=YYYY-MM-DD")
            shutdowns[model.strip()] = _date(day)
    faults = Faults(
        args.error_rate,
        args.hang_rate,
        args.malformed_rate,
        args.drop_rate,
        seed=args.seed,
        stream_drop_rate=args.stream_drop_rate,
    )
    return TestingServer(
        Script.load(args.script) if args.script else None,
        port=args.port,
        api_key=args.api_key,
        rpm=args.rpm,
        tpm=args.tpm,
        latency_ms=args.latency_ms,
        faults=faults,
        burst=args.burst,
        keep_bodies=False,
        ttft_ms=args.ttft_ms,
        chunk_delay_ms=args.chunk_delay_ms,
        batch_delay_s=args.batch_delay_s,
        batch_fail_rate=args.batch_fail_rate,
        batch_expire_rate=args.batch_expire_rate,
        batch_expire_after_s=args.batch_expire_after_s,
        shutdowns=shutdowns,
        today=args.today or date.today(),
    )


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{value!r} is not a date: write YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    try:
        server = build(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"evalkit testing server on {server.base_url}  (OPENAI_BASE_URL={server.base_url})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
