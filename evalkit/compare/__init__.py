"""Two runs of the same cases: ``diff`` pairs them and computes per-case changes and
per-suite statistics (streamed, bounded memory); ``render`` writes the terminal, markdown
and JSON forms (HTML is the viewer's)."""
