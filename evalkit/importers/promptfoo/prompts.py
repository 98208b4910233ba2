"""promptfoo ``prompts:`` → evalkit prompt versions (Jinja, with message blocks).

Every shape promptfoo accepts is read: inline text, ``file://`` files and globs, text files
split on ``---`` lines, chat messages as JSON, JSONL, YAML or inline lists, CSV prompt
tables, ``{id, label, raw, config}`` entries and maps between prompts and labels. Chat
messages become ``{% message "role" %}`` blocks; the text goes through the Nunjucks → Jinja
translator, and what it cannot carry is reported with the line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...io.jsonfile import loads_value
from ...io.yamlfile import LineList
from ...wire.messages import ROLES
from ..report import Origin
from ..sources import (
    csv_rows,
    expand,
    file_ref,
    item_lines,
    jsonl_rows,
    key_line,
    load_structured,
    plain,
    read_text,
)
from . import nunjucks
from .context import Part

_TEXT_SUFFIXES = {".txt", ".md", ".j2", ".njk", ".nunjucks", ".prompt", ".tmpl", ""}


@dataclass
class PromptVersion:
    version: str  # v1, v2...
    label: str
    text: str
    origin: Origin
    variables: set[str] = field(default_factory=set)
    config: dict[str, Any] = field(default_factory=dict)  # the prompt's own provider config


class PromptReader(Part):
    def prompts(self, node: Any, line: int | None) -> list[PromptVersion]:
        items: list[tuple[Any, int | None, str | None]] = []  # (item, line, label)
        if isinstance(node, str):
            items = [(node, line, None)]
        elif isinstance(node, list):
            items = [
                (item, item_line, None)
                for item, item_line in zip(node, item_lines(node), strict=True)
            ]
        elif isinstance(node, dict):
            for key, value in node.items():
                key_ln = key_line(node, key, line)
                # promptfoo maps prompt → label; accept label → prompt too
                if (
                    isinstance(value, str)
                    and (file_ref(value) or "{{" in value or "\n" in value)
                    and not (file_ref(key) or "{{" in str(key))
                ):
                    items.append((value, key_ln, str(key)))
                else:
                    items.append((key, key_ln, str(value) if value is not None else None))
        else:
            raise ConfigError("prompts must be a string, a list or a mapping", self.config, line)
        versions: list[PromptVersion] = []
        for item, item_line, label in items:
            found = self.prompt_item(item, item_line, label)
            labels = [found_label for _, _, found_label in found]
            if len(found) > 1 and len(set(labels)) == 1 and labels[0]:
                # one label over several prompts (a glob, `---` sections): number them
                found = [(t, o, f"{lbl}-{n}") for n, (t, o, lbl) in enumerate(found, 1)]
            config = item.get("config") if isinstance(item, dict) else None
            for text, origin, found_label in found:
                versions.append(
                    PromptVersion(
                        version=f"v{len(versions) + 1}",
                        label=found_label or label or "",
                        text=text,
                        origin=origin,
                        config=dict(config) if isinstance(config, dict) else {},
                    )
                )
        if not versions:
            raise ConfigError(
                "no prompt could be imported (see the report above)", self.config, line
            )
        for version in versions:
            version.text, version.variables = self.translate(version.text, version.origin)
        return versions

    def prompt_item(
        self, item: Any, line: int | None, label: str | None
    ) -> list[tuple[str, Origin, str | None]]:
        """One entry of ``prompts:`` → [(template text in Jinja-with-blocks form, origin, label)]."""
        origin = self.origin(line)
        if isinstance(item, dict):
            raw = item.get("raw", item.get("id"))
            item_label = item.get("label") or label
            for key in set(item) - {"raw", "id", "label", "config"}:
                self.leave_out(
                    key_line(item, key, line),
                    f"prompt option `{key}`",
                    "evalkit prompts are templates only",
                )
            if not isinstance(raw, str):
                if isinstance(raw, list):
                    chat = self.chat(raw, origin)
                    return [(chat, origin, item_label)] if chat is not None else []
                self.leave_out(
                    line,
                    "a prompt entry without raw text or a file id",
                    "give `raw:` or `id: file://...`",
                )
                return []
            return [
                (t, o, lbl or item_label) for t, o, lbl in self.prompt_item(raw, line, item_label)
            ]
        if isinstance(item, list):
            chat = self.chat(item, origin)
            return [(chat, origin, label)] if chat is not None else []
        if not isinstance(item, str):
            self.leave_out(
                line,
                f"a prompt of type {type(item).__name__}",
                "give text, a file or chat messages",
            )
            return []
        ref = file_ref(item)
        bare_path = re.fullmatch(r"[\w./*-]+\.(txt|md|json|jsonl|yaml|yml|j2|njk)", item.strip())
        if (
            ref is None
            and bare_path
            and ((self.base / item.strip()).exists() or any(c in item for c in "*?"))
        ):
            ref = item.strip()  # promptfoo also accepts bare paths
        if re.match(r"^(langfuse|portkey|helicone)://", item):
            self.leave_out(
                line,
                f"an external prompt ({item})",
                "export the prompt's text into a file and import again",
            )
            return []
        if ref is None:
            return [(self.text_or_chat(item, origin), origin, label)]
        out: list[tuple[str, Origin, str | None]] = []
        for path in expand(ref, self.base, origin):
            out += self.prompt_file(path, ref, origin, label)
        return out

    def prompt_file(
        self, path: Path, ref: str, origin: Origin, label: str | None
    ) -> list[tuple[str, Origin, str | None]]:
        suffix = path.suffix.lower()
        file_origin = Origin(path, 1)
        if suffix in (".py", ".js", ".ts", ".mjs", ".cjs") or ":" in ref.rsplit("/", 1)[-1]:
            self.report.leave_out(
                origin,
                f"a prompt function ({ref})",
                "render its prompt text into a .j2 template (evalkit prompts are templates)",
            )
            return []
        if suffix == ".json":
            data = load_structured(path, origin)
            if isinstance(data, list):
                chat = self.chat(data, file_origin)
                return [(chat, file_origin, label)] if chat is not None else []
            if isinstance(data, str):
                return [(self.text_or_chat(data, file_origin), file_origin, label)]
            self.report.leave_out(
                file_origin,
                "a JSON prompt file that is not a message list",
                "write it as chat messages",
            )
            return []
        if suffix == ".jsonl":
            out = []
            for row in jsonl_rows(path, origin):
                chat = self.chat(row.value, row.origin) if isinstance(row.value, list) else None
                if chat is not None:
                    out.append((chat, row.origin, label))
            return out
        if suffix in (".yaml", ".yml"):
            data = load_structured(path, origin)
            if isinstance(data, list):
                chat = self.chat(data, file_origin)
                return [(chat, file_origin, label)] if chat is not None else []
            self.report.leave_out(
                file_origin,
                "a YAML prompt file that is not a message list",
                "write it as chat messages",
            )
            return []
        if suffix == ".csv":
            out = []
            for row in csv_rows(path, origin):
                text = row.value.get("prompt") or row.value.get("raw")
                if text:
                    out.append(
                        (
                            self.text_or_chat(text, row.origin),
                            row.origin,
                            row.value.get("label") or label,
                        )
                    )
            return out
        if suffix not in _TEXT_SUFFIXES:
            self.report.leave_out(
                origin, f"a prompt file of type {suffix} ({ref})", "save the prompt as text"
            )
            return []
        text = read_text(path, origin)
        out = []
        line = 1
        chunks = re.split(r"(?m)^---[ \t]*\n", text)
        for chunk in chunks:
            chunk_origin = Origin(path, line)
            line += chunk.count("\n") + 1
            if not chunk.strip():
                continue
            out.append((self.text_or_chat(chunk.rstrip("\n"), chunk_origin), chunk_origin, label))
        return out

    def text_or_chat(self, text: str, origin: Origin) -> str:
        stripped = text.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                data = loads_value(stripped)
            except ValueError:
                data = None
            if (
                isinstance(data, list)
                and data
                and all(isinstance(m, dict) and "role" in m for m in data)
            ):
                chat = self.chat(data, origin)
                if chat is not None:
                    return chat
        return text

    def chat(self, messages: list[Any], origin: Origin) -> str | None:
        """Chat messages → ``{% message %}`` blocks (contents still in Nunjucks)."""
        blocks: list[str] = []
        lines = (
            item_lines(messages)
            if isinstance(messages, LineList)
            else [origin.line] * len(messages)
        )
        for message, line in zip(messages, lines, strict=True):
            where = origin.at(line)
            if not isinstance(message, dict) or "role" not in message:
                self.report.leave_out(
                    where, "a chat message without a role", "give each message a role and content"
                )
                return None
            role = str(message["role"])
            content = message.get("content", "")
            if role not in ROLES:
                self.report.leave_out(
                    where,
                    f"a `{role}` message in a prompt",
                    "evalkit prompts hold system, developer, user and assistant messages; tool turns go in a case's `history`",
                )
                continue
            if isinstance(content, list):
                texts = []
                for part in content:
                    if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                        texts.append(str(part.get("text", "")))
                    else:
                        self.report.leave_out(
                            where,
                            f"a {part.get('type') if isinstance(part, dict) else 'non-text'} content part",
                            'evalkit templates take images with {% image "path" %}; add it by hand',
                        )
                content = "\n".join(texts)
            if not isinstance(content, str):
                content = json.dumps(plain(content), ensure_ascii=False)
            blocks.append(f'{{% message "{role}" %}}\n{content}\n{{% endmessage %}}')
        return "\n".join(blocks) + "\n" if blocks else None

    def translate(self, text: str, origin: Origin) -> tuple[str, set[str]]:
        translation = nunjucks.translate(text, self.context.custom_filters, self.context.loaded)
        for problem in translation.problems:
            where = origin.at((origin.line or 1) + problem.line - 1)
            self.report.leave_out(where, f"in a prompt: {problem.what}", problem.fix)
        for note in translation.notes:
            self.report.note(
                origin.at((origin.line or 1) + note.line - 1), f"in a prompt: {note.what}"
            )
        if "_conversation" in translation.variables:
            self.report.leave_out(
                origin,
                "the `_conversation` variable (multi-turn history)",
                "write earlier turns in each case's `history:`",
            )
        if any(p.what.startswith("template syntax Jinja rejects") for p in translation.problems):
            return "{% raw %}" + text.replace("{% endraw %}", "") + "{% endraw %}\n", set()
        body = translation.text if translation.text.endswith("\n") else translation.text + "\n"
        return body, translation.variables
