"""The pytest front: ``hooks`` is the plugin pytest loads (entry point ``evalkit``)."""
