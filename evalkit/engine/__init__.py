"""The engine: turns planned cases into results through a mode (replay, record, live)."""
