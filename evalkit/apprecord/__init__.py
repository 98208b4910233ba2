"""The application's own OpenAI calls, recorded once and replayed offline.

Suites test prompts; a team's own code (an ``extract_invoice()`` calling
``client.chat.completions.parse``, an agent's tool loop, an async batch job) calls the SDK
too. The ``evalkit_openai`` pytest fixture (:mod:`.fixture`) gives such a test clients whose
every call goes to a small evalkit endpoint on 127.0.0.1 (:mod:`.endpoint`), which answers
from the test's recording in replay (no key, no network) and forwards to the real API
through the SDK in the recording modes (:mod:`.upstream`). The SDK reads
``OPENAI_BASE_URL``, so clients the code under test builds itself are covered too.

- :mod:`.cassette`: one recording file per test, its format, reading it as untrusted input
  and writing it byte-stably;
- :mod:`.match`: how an unrecorded request differs from the nearest recorded one;
- :mod:`.recorder`: the mode as a decision per request (replay, forward, keep);
- :mod:`.endpoint`, :mod:`.upstream`, :mod:`.fixture`: the HTTP side, the SDK side and the
  test's handle.

The package sits just below the fronts: it reads settings (config), the recording owner
rules (project/recordings.py) and the canonical request hash (wire/request.py).
"""

from .fixture import AppAnswer, AppOpenAI, open_app_recorder

__all__ = ["AppAnswer", "AppOpenAI", "open_app_recorder"]
