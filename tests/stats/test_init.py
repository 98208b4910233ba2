"""The package keeps the old module's names, so its callers import it unchanged."""

from __future__ import annotations

import importlib

import evalkit.stats as stats


def test_the_old_modules_names_are_still_there() -> None:
    from evalkit.stats import mcnemar_exact, paired_bootstrap, wilson

    assert wilson(8, 10) == stats.intervals.wilson(8, 10)
    assert mcnemar_exact(5, 0) == stats.paired.mcnemar_exact(5, 0)
    assert paired_bootstrap([1, 0], [0, 0]) == stats.paired.paired_bootstrap([1, 0], [0, 0])


def test_the_callers_import_it_unchanged() -> None:
    for module in ("evalkit.compare.diff", "evalkit.view.load"):
        assert importlib.import_module(module) is not None


def test_everything_exported_exists_and_nothing_imports_the_rest_of_evalkit() -> None:
    for name in stats.__all__:
        assert getattr(stats, name) is not None, name
    for module in ("distributions", "intervals", "verdict", "sequential", "paired", "search"):
        source = importlib.import_module(f"evalkit.stats.{module}").__file__
        assert source is not None
        with open(source, encoding="utf-8") as f:
            text = f.read()
        assert "from evalkit" not in text and "from .." not in text, module
