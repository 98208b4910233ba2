"""``python -m evalkit.testing [--script FILE] [--port N] [limits and faults]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib

from .model import Script
from .server import Faults, TestingServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalkit.testing", description=__doc__)
    parser.add_argument(
        "--script", help="YAML file of rules (when: [regex...], reply: text or JSON)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", help="require this bearer token (default: any non-empty one)")
    parser.add_argument("--rpm", type=int, help="requests per minute before 429s")
    parser.add_argument(
        "--tpm", type=int, help="tokens per minute (input + max tokens) before 429s"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 5xx"
    )
    parser.add_argument(
        "--hang-rate", type=float, default=0.0, help="share of requests left hanging"
    )
    parser.add_argument(
        "--malformed-rate", type=float, default=0.0, help="share answered with a broken body"
    )
    parser.add_argument(
        "--drop-rate", type=float, default=0.0, help="share whose connection is dropped"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault draws")
    parser.add_argument(
        "--burst",
        type=float,
        default=1.0,
        help="share of each per-minute budget available at the first request (OpenAI: 1)",
    )
    args = parser.parse_args(argv)
    faults = Faults(
        args.error_rate, args.hang_rate, args.malformed_rate, args.drop_rate, seed=args.seed
    )
    server = TestingServer(
        Script.load(args.script) if args.script else None,
        port=args.port,
        api_key=args.api_key,
        rpm=args.rpm,
        tpm=args.tpm,
        latency_ms=args.latency_ms,
        faults=faults,
        burst=args.burst,
        keep_bodies=False,
    )
    print(
        f"evalkit testing server on {server.base_url}  (OPENAI_BASE_URL={server.base_url})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
