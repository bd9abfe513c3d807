"""The KEEL benchmark harness of ``benchmarks/keel_tabular.py``, one module per job.

``data``: the collection, its loader and the development / held-out split. ``rows``: the
classifiers and the registry of rows (name -> estimator factory). ``run``: one (set, fold) task,
its scores, the resumable run log and the worker processes. ``stats``: ranks, the Friedman
test, the Holm-corrected Wilcoxon signed-rank test and win/tie/loss counts. ``report``: the
analysis of each scope and the JSON; ``markdown``: the tables; ``figures``: the
critical-difference diagrams. Not a public package: the script puts ``benchmarks/`` on
``sys.path``.
"""
