"""The ``evalkit`` command: one module per command group; each parses, calls the library,
prints and exits (0 gates passed, 1 a gate failed, 2 a usage or configuration error)."""

from .main import main

__all__ = ["main"]
