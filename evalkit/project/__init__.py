"""A user's project on disk, and the one way any front opens it.

``open`` (paths → settings and suites), ``suite`` (YAML → ``Suite``/``Case``/``Target``),
``caselist`` (case files held as rows), ``plan`` (cases × targets → planned requests),
``shard`` (a stable share of the cases), ``recordings`` (the recording store under
snapshots/), ``validate`` (what ``evalkit check`` finds without an API call), ``scaffold``
and ``distribution`` (``evalkit init``'s files, and how a project names evalkit).
"""
