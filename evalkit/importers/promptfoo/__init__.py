"""``evalkit import promptfoo``: a promptfooconfig.yaml → evalkit suites, prompts and checks.

The parts, in the order an import runs them: :mod:`.config` (the top-level keys, the
entry point), :mod:`.prompts` (prompts → prompt versions, through :mod:`.nunjucks`),
:mod:`.providers` (OpenAI providers → model, API, params, schema, tools; ids and pins in
:mod:`.provider_ids`), :mod:`.tests` (tests and ``defaultTest`` → cases),
:mod:`.assertions` (assertions → evalkit checks), :mod:`.suites` (the suites and the plan
of files); :mod:`.context` holds what they share, :mod:`.checkmodule` the generated checks.
"""

from __future__ import annotations

from .config import import_promptfoo
from .provider_ids import Pins

__all__ = ["Pins", "import_promptfoo"]
