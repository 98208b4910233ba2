"""Runs as pandas DataFrames: ``cases_df``, ``samples_df``, ``checks_df``, ``requests_df``.

Built from the run folder's one reader (:class:`evalkit.runs.runsets.RunSet`, as ``evalkit
report`` reads runs), so their figures are report's; columns are typed and documented once
(:mod:`.columns`, docs/guides/analysis.md). A damaged run loads what is readable and warns
(:class:`evalkit.errors.DamagedRun`) in report's words. ``evalkit export`` writes a frame as
CSV, JSON lines or Parquet (:mod:`.export`).
"""

from .columns import TABLES, Column
from .frames import Table, cases_df, checks_df, requests_df, samples_df, table
from .load import Runs

__all__ = [
    "TABLES",
    "Column",
    "Runs",
    "Table",
    "cases_df",
    "checks_df",
    "requests_df",
    "samples_df",
    "table",
]
