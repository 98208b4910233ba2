"""The example project's runs (tests/analysis/example.py) for every test here."""

from .example import example, in_example

__all__ = ["example", "in_example"]
