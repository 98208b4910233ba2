"""A local OpenAI-compatible server with a scriptable model, for tests and offline trials."""

from .answer import Answerer
from .batches import BatchSettings
from .errors import APIError
from .model import Rule, Script, ScriptedModel, ToolCallSpec, embed, schema_instance
from .server import SERVER_NAME, Faults, TestingServer

__all__ = [
    "SERVER_NAME",
    "APIError",
    "Answerer",
    "BatchSettings",
    "Faults",
    "Rule",
    "Script",
    "ScriptedModel",
    "TestingServer",
    "ToolCallSpec",
    "embed",
    "schema_instance",
]
