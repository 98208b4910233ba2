"""One self-contained HTML page: the template with its script, style and data inlined.

Python never builds markup from data: results go into the page as one JSON document inside a
``<script type="application/json">`` block, escaped so that no string in it can end that
block or open a comment (``<``, ``>``, ``&`` and the two JavaScript line separators become
``\\uXXXX`` escapes, which JSON.parse reads back unchanged), and the page's script renders it
with DOM text nodes only. A Content-Security-Policy allows only the page's own two scripts (by
hash) and no network at all, so even a string that slipped through could not run or fetch.
Every secret evalkit knows of is removed from the data (evalkit/io/redaction.py).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib.resources import files

from ..io.redaction import redact
from .models import Payload

_ASSETS = files("evalkit.view") / "assets"
_SLOT = re.compile(r"@@EVALKIT_([A-Z_]+)@@")
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")


@cache
def asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


def _script_safe(name: str) -> str:
    """A static script or style: it must not be able to end its own element early."""
    text = asset(name)
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise RuntimeError(f"asset {name} holds a closing tag or comment opener")
    return text


def json_for_script(text: str) -> str:
    """JSON text made safe to sit inside a <script> element, still the same JSON."""
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text)


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render(payload: Payload) -> str:
    """The page for ``payload``."""
    uplot_js, viewer_js = _script_safe("uPlot.iife.min.js"), _script_safe("viewer.js")
    # a results line written before a key was known to evalkit may hold it: redact here,
    # where every page (view, report --html, diff --html) is made
    data = json_for_script(redact(payload.model_dump_json(exclude_none=True)))
    slots = {
        "CSP": f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {_hash(uplot_js)} {_hash(viewer_js)}; base-uri 'none'; form-action 'none'",
        "UPLOT_CSS": _script_safe("uPlot.min.css"),
        "VIEWER_CSS": _script_safe("viewer.css"),
        "DATA": data,
        "UPLOT_JS": uplot_js,
        "VIEWER_JS": viewer_js,
    }
    # One pass: what is substituted is never scanned for slots again.
    return _SLOT.sub(lambda m: slots[m.group(1)], asset("viewer.html"))
