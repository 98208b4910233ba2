"""The run folder and what is done with runs.

``folder`` (a run folder's files and metadata), ``runsets`` (several folders as one: CI
shards), ``session`` (a run of suites into a folder, used by both fronts), ``report`` (one
run as a report), ``dualrun`` (two variants of the same cases), ``handwritten`` (the Python
API for hand-written tests).
"""
