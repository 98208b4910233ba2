"""Messages as the API takes them: text and image parts, in each API's own shape.

The lowest layer that knows what a message is: templates (prompts.py) produce them, requests
(request.py) carry them, recordings store their images by hash only.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

ROLES = ("system", "developer", "user", "assistant")

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # the API's own limit per image


def image_type(data: bytes) -> str | None:
    """PNG, JPEG, GIF or WebP, told by the bytes (never by the file name)."""
    for magic, kind in IMAGE_TYPES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class ImagePart:
    """An image inside a message: sent as a data URL, recorded by its hash."""

    media_type: str
    data: bytes = field(repr=False)
    source: str = ""  # the path as the template wrote it

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


Part = str | ImagePart


@dataclass(frozen=True)
class Message:
    role: str
    content: str | tuple[Part, ...]

    def wire(self, api: str = "chat") -> dict[str, Any]:
        """The message in an API's own shape (text parts and image parts)."""
        if isinstance(self.content, str):
            return {"role": self.role, "content": self.content}
        parts: list[dict[str, Any]] = []
        for part in self.content:
            if isinstance(part, ImagePart):
                parts.append(
                    {"type": "image_url", "image_url": {"url": part.data_url}}
                    if api == "chat"
                    else {"type": "input_image", "image_url": part.data_url}
                )
            else:
                parts.append({"type": "text" if api == "chat" else "input_text", "text": part})
        return {"role": self.role, "content": parts}

    def as_dict(self) -> dict[str, Any]:
        return self.wire("chat")

    @property
    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(p for p in self.content if isinstance(p, str))
