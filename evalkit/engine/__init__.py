"""The engine: turns planned cases into results through one answerer (the run's mode)."""
