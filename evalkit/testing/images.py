"""Image inputs: data URLs checked as the API checks them, a marker for the transcript, a token cost.

The scripted model cannot see pixels, so an image enters the conversation as a deterministic
marker naming its content hash and type (``[image sha256:1a2b3c4d image/png]``): a rule can
match on which image was sent, and changing the image changes the transcript.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

SUPPORTED = ("image/png", "image/jpeg", "image/gif", "image/webp")
_EXAMPLE = "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='"
_DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),(.*)", re.DOTALL)
LOW_DETAIL_TOKENS = 85  # what OpenAI charges for a low-detail image, and the base of a high one
TILE_TOKENS = 170


@dataclass(frozen=True)
class Image:
    digest: str  # sha256 of the bytes (or of the URL for an image given by http(s) URL)
    mime: str
    tokens: int

    def marker(self) -> str:
        return f"[image sha256:{self.digest[:8]} {self.mime}]"


def read_image(url: Any, detail: Any, label: str, param: str) -> Image:
    """The image at ``url`` (a data URL, or an http(s) URL taken on trust), or a 400 like the API's."""

    def invalid(what: str) -> Exception:
        return bad_request(
            f"Invalid {label}. Expected a base64-encoded data URL with an image MIME type "
            f"(e.g. {_EXAMPLE}), but got {what}.",
            param,
            "invalid_value",
        )

    if not isinstance(url, str):
        raise bad_request(
            f"Invalid type for '{param}': expected a string, but got {type(url).__name__} instead.",
            param,
            "invalid_type",
        )
    if url.startswith(("http://", "https://")):
        # The real API downloads it; this server never touches the network.
        digest = hashlib.sha256(url.encode()).hexdigest()
        return Image(digest, "url", LOW_DETAIL_TOKENS)
    match = _DATA_URL.fullmatch(url)
    if not url.startswith("data:") or match is None:
        raise invalid("a value without the 'data:' prefix")
    mime, params, payload = match.group(1).lower(), match.group(2), match.group(3)
    if mime not in SUPPORTED:
        raise invalid(f"unsupported MIME type '{mime or 'none'}'")
    if ";base64" not in params.lower():
        raise invalid("a data URL that is not base64-encoded")
    if not payload.strip():
        raise invalid("empty base64-encoded bytes")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("invalid base64-encoded bytes") from None
    size = dimensions(data)
    if size is None:
        raise bad_request(
            "You uploaded an unsupported image. Please make sure your image has of one the "
            "following formats: ['png', 'jpeg', 'gif', 'webp'].",
            param,
            "invalid_image_format",
        )
    return Image(hashlib.sha256(data).hexdigest(), mime, image_tokens(size, detail))


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, GIF, JPEG or WebP header; None when it is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[at + 5 : at + 9])
            return w, h
        at += 2 + length
    return None


def image_tokens(size: tuple[int, int], detail: Any) -> int:
    """OpenAI's tile formula: fit in 2048x2048, shortest side to 768, 170 tokens per 512px tile."""
    if detail == "low":
        return LOW_DETAIL_TOKENS
    w, h = (float(max(v, 1)) for v in size)
    scale = min(1.0, 2048 / max(w, h))
    w, h = w * scale, h * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return LOW_DETAIL_TOKENS + TILE_TOKENS * math.ceil(w / 512) * math.ceil(h / 512)
