"""Companion code: baselines, evaluation, error clustering and prompting on knowbench datasets.

Reads datasets only through :mod:`knowbench.loaders`.
"""
