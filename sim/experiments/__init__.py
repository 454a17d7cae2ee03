"""Scenario sweeps: experiment files, run plans, executors, the Parquet store, comparisons.

A library first; ``sim.experiments.cli`` puts the ``idlib-sim sweep | export | compact |
compare | sensitivity`` commands on top.
"""
