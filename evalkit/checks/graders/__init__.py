"""OpenAI's grader types as evalkit checks, with OpenAI's names and fields.

OpenAI's hosted Evals (and its graders) shut down on 2026-11-30; teams keep the graders
they exported. Each grader type is a check usable in any suite:

==================  ==========================================================
``string_check``    ``input`` eq / ne / like / ilike ``reference`` (:mod:`.strings`)
``text_similarity`` a metric ≥ ``pass_threshold`` (:mod:`.similarity`, :mod:`.metrics`)
``score_model``     a pinned model scores within ``range`` (:mod:`.models`)
``label_model``     a pinned model picks one of ``labels`` (:mod:`.models`)
``python_grader``   OpenAI's ``python`` grader, run in a limited subprocess
                    (:mod:`.python_grader`, :mod:`.sandbox`)
``multi``           ``calculate_output`` over named sub-graders (:mod:`.multi`,
                    :mod:`.formula`)
==================  ==========================================================

Their fields hold templates (``{{ item.x }}``, ``{{ sample.output_json.y }}``; see
:mod:`.templates`). The field names follow openai-python's ``types/graders`` models and
OpenAI's graders guide; every module says where its definitions come from.

Registration happens on import, through the check contract (:func:`register_check`).
"""

from __future__ import annotations

from . import models, multi, python_grader, similarity, strings

__all__ = ["models", "multi", "python_grader", "similarity", "strings"]
