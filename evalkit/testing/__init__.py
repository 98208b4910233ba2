"""A local OpenAI-compatible server with a scriptable model, for tests and offline trials."""

from .model import Rule, Script, ScriptedModel, embed, schema_instance
from .server import SERVER_NAME, Faults, TestingServer

__all__ = [
    "SERVER_NAME",
    "Faults",
    "Rule",
    "Script",
    "ScriptedModel",
    "TestingServer",
    "embed",
    "schema_instance",
]
