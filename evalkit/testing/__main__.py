"""``python -m evalkit.testing [--script FILE] [--port N]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib

from .model import Script
from .server import TestingServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalkit.testing", description=__doc__)
    parser.add_argument(
        "--script", help="YAML file of rules (when: [regex...], reply: text or JSON)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", help="require this bearer token (default: any non-empty one)")
    args = parser.parse_args(argv)
    script = Script.load(args.script) if args.script else None
    server = TestingServer(script, port=args.port, api_key=args.api_key, keep_bodies=False)
    print(
        f"evalkit testing server on {server.base_url}  (OPENAI_BASE_URL={server.base_url})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
