"""Performance harness for idlib-sim (issue #5 targets): ``python -m bench``.

The package is deliberately light: importing it does not import the model, so a child
process that imports it measures its own cold start. The model is only reached through
its public entry points (``load_scenario``, ``build_geography``, ``EscalationModel``).
"""
