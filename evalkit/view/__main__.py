"""``python -m evalkit.view [RUN...]``: the same as ``evalkit view``, for scripts and CI that
call the module directly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ..cli.view import DESCRIPTION, add_arguments, run
from ..errors import EvalkitError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        """A usage error exits 2, as every evalkit usage error does."""
        self.print_usage(sys.stderr)
        print(f"evalkit view: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="evalkit view", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except EvalkitError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
