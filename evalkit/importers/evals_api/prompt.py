"""A run's ``input_messages`` → an evalkit prompt template (Jinja, ``{% message %}`` blocks).

OpenAI's run templates substitute ``{{ item.x }}`` (the data row; nested fields as
``{{ item.a.b }}`` or ``{{ item.list[0] }}``). In an evalkit prompt a case's vars are
top-level names, so ``{{ item.x }}`` becomes ``{{ x }}``; the case's vars are the item's
fields, so the text sent is the same. (The graders keep ``{{ item.x }}``: evalkit's grader
templates have an ``item`` namespace, :mod:`evalkit.checks.graders.templates`.) Everything
else in the text is literal and escaped, so a ``{%`` in a prompt stays text.

An ``item_reference`` (``"item.messages"``: the messages are in each row) becomes a loop
over that field. What a template cannot say (an image part, a ``{{ sample.x }}``, a field
name that is no Jinja name) is returned as a problem with its place, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..promptfoo.nunjucks import escape_text
from ..report import Origin
from .objects import Located

ROLES = ("system", "developer", "user", "assistant")
_SUB = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_ITEM_PATH = re.compile(r"item((?:\.[A-Za-z_]\w*|\[\d+\])+)$")
_NAME = re.compile(r"[A-Za-z_]\w*$")


@dataclass
class Problem:
    origin: Origin
    what: str
    fix: str


@dataclass
class Template:
    text: str
    variables: set[str] = field(default_factory=set)  # the item fields it reads (top level)
    problems: list[Problem] = field(default_factory=list)


def convert_text(text: str, origin: Origin, where: str, out: Template) -> str:
    """One message's text with ``{{ item.x }}`` as ``{{ x }}``; the rest literal."""
    pieces: list[str] = []
    last = 0
    for match in _SUB.finditer(text):
        pieces.append(escape_text(text[last : match.start()]))
        last = match.end()
        path = _ITEM_PATH.match(match.group(1))
        if path is None:
            pieces.append(escape_text(match.group(0)))
            out.problems.append(
                Problem(
                    origin,
                    f"{where}: {match.group(0)[:60]!r} is not an item field, kept as literal text",
                    "an input template substitutes {{ item.x }} only; edit the prompt",
                )
            )
            continue
        rest = path.group(1).removeprefix(".")
        out.variables.add(re.split(r"[.\[]", rest, maxsplit=1)[0])
        pieces.append("{{ " + rest + " }}")
    pieces.append(escape_text(text[last:]))
    return "".join(pieces)


def _content(content: Any, origin: Origin, where: str, out: Template) -> str | None:
    if isinstance(content, str):
        return convert_text(content, origin, where, out)
    parts = content if isinstance(content, list) else [content]
    texts: list[str] = []
    for number, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(convert_text(part, origin, where, out))
        elif isinstance(part, dict) and part.get("type") in ("input_text", "output_text"):
            texts.append(convert_text(str(part.get("text", "")), origin, where, out))
        else:
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            out.problems.append(
                Problem(
                    origin,
                    f"{where}.content[{number}]: a {str(kind)[:30]} part is not carried",
                    "evalkit prompts are text; add the image or file by hand",
                )
            )
    return "\n".join(texts) if texts else None


def from_template(run: Located, at: tuple[str | int, ...], messages: Any) -> Template:
    """``input_messages: {type: template, template: [...]}`` → the prompt."""
    out = Template("")
    blocks: list[str] = []
    where_all = ".".join(str(a) for a in at)
    if not isinstance(messages, list) or not messages:
        out.problems.append(
            Problem(run.line(*at), f"{where_all} is not a list of messages", "write the prompt")
        )
    for index, message in enumerate(messages if isinstance(messages, list) else []):
        where = f"{where_all}[{index}]"
        origin = run.line(*at, index)
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            out.problems.append(
                Problem(
                    origin,
                    f"{where}: role {str(role)[:30]!r} is not one of {', '.join(ROLES)}",
                    "the message is left out of the prompt; add it by hand",
                )
            )
            continue
        assert isinstance(message, dict)
        body = _content(message.get("content", ""), origin, where, out)
        if body is None:
            continue
        blocks.append(f'{{% message "{role}" %}}\n{body}\n{{% endmessage %}}')
    out.text = "\n".join(blocks) + "\n" if blocks else ""
    return out


def from_reference(run: Located, at: tuple[str | int, ...], reference: Any) -> Template:
    """``input_messages: {type: item_reference, item_reference: "item.x"}``: each row's
    ``x`` holds the messages; the template loops over them."""
    out = Template("")
    text = str(reference or "")
    name = text.removeprefix("item.")
    if not _NAME.match(name):
        out.problems.append(
            Problem(
                run.line(*at),
                f"{'.'.join(map(str, at))}: item_reference {text[:60]!r} is not item.<field>",
                "write the prompt by hand",
            )
        )
        return out
    out.variables.add(name)
    out.text = (
        f"{{% for m in {name} %}}{{% message m.role %}}\n{{{{ m.content }}}}\n"
        "{% endmessage %}{% endfor %}\n"
    )
    return out
