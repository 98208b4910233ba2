"""``python -m evalkit.cli``: the ``evalkit`` command."""

from .main import entry

entry()
