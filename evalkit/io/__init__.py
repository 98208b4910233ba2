"""Untrusted input and every outgoing text: the bottom layer.

``files`` (safe names, UTF-8 reads, atomic writes, append-only logs), ``yamlfile`` (YAML
with lines, bounded), ``redaction`` (every secret evalkit knows of, removed from what it
writes or prints). Nothing here imports from the rest of evalkit but ``errors``.
"""
