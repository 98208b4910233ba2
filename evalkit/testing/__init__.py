"""A local OpenAI-compatible server with a scriptable model, for tests and offline trials."""

from .model import Rule, Script, ScriptedModel, count_tokens, embed, schema_instance
from .server import SERVER_NAME, TestingServer

__all__ = [
    "SERVER_NAME",
    "Rule",
    "Script",
    "ScriptedModel",
    "TestingServer",
    "count_tokens",
    "embed",
    "schema_instance",
]
