"""The javascript check's costs: ``python benchmarks/javascript.py [--n N]`` prints them.

Every evaluation of a ``javascript`` assertion gets a fresh QuickJS context (isolation
between cases), so its cost is what a run pays per check. Figures, medians of N repeats
(process CPU and wall time come out alike here: nothing waits):

- context: a bare fresh context with its memory, time and stack limits set, then dropped;
- bootstrap: a fresh context, the bootstrap and the call of a trivial function, on the
  sandbox's worker thread (what every evaluation pays beyond the user's code);
- check: one whole ``evaluate`` of a typical assertion through the check machinery
  (``JSON.parse(output)`` and a comparison, on a 2 KB JSON output);
- load: what ``evalkit check`` pays per assertion (source rules, tree-sitter parse, the
  engine's compile of the code behind a ``throw``), uncached.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.checks import (  # noqa: E402
    REGISTRY,
    AssertionSpec,
    Observation,
    evaluate,
    jsengine,
    jssource,
)


def median_us(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n

    def bare() -> None:
        jsengine._context()

    def bootstrap() -> None:
        jsengine.run("return true", "", {"vars": {}}, [])

    output = json.dumps({"items": [{"name": f"item {i}", "qty": i} for i in range(60)]})
    value = "JSON.parse(output).items.filter(i => i.qty > 10).length === 49"
    args = REGISTRY["javascript"].args.model_validate({"value": value})
    spec = AssertionSpec(type="javascript", args=args)
    obs = Observation(text=output)
    assert evaluate(spec, obs).passed

    def check() -> None:
        evaluate(spec, obs)

    counter = iter(range(10**9))

    def load() -> None:
        source = jssource.prepare(f"{value} && {next(counter)} >= 0")  # never cached
        assert jsengine.syntax_error(source.body) is None

    print(f"javascript check, medians of {n} repeats:")
    print(f"  fresh context (limits set, dropped): {median_us(bare, n):8.1f} µs")
    print(f"  fresh context + bootstrap + call:    {median_us(bootstrap, n):8.1f} µs")
    print(f"  whole check (2 KB JSON output):      {median_us(check, n):8.1f} µs")
    print(f"  load-time validation, uncached:      {median_us(load, n):8.1f} µs")


if __name__ == "__main__":
    main()
