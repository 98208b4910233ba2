"""The ``evalkit`` command: one module per command group; each parses, calls the library,
prints and exits (0 gates passed, 1 a gate failed, 2 a usage or configuration error).

``main`` (parser, dispatch, exit codes), ``common`` (what the commands share), ``display``
(what ``evalkit run`` shows while it runs), and the commands: ``run`` (run, record,
--resume), ``check``, ``diff``, ``report``, ``init``, ``lock``, ``view``, ``imports``,
``estimate``, ``batch``. None of them builds engine pieces or calls the SDK.
"""

from .main import main

__all__ = ["main"]
