"""Mechanisms are leaves: each imports in a fresh interpreter without plotting, pydantic,
YAML or the map code (only numpy, scipy and the control codes)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import sim.mechanisms

MECHANISMS = sorted(m.name for m in pkgutil.iter_modules(sim.mechanisms.__path__))
FORBIDDEN = ("matplotlib", "pydantic", "yaml", "mesa", "sim.world.geography", "sim.world.schema")

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def test_every_mechanism_module_is_checked():
    assert {"bombardment", "combat", "displacement", "routing"} <= set(MECHANISMS)


@pytest.mark.parametrize("name", MECHANISMS)
def test_mechanism_imports_no_plotting_pydantic_or_map_code(name):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, f"sim.mechanisms.{name}"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(out.stdout))
    assert f"sim.mechanisms.{name}" in loaded  # the probe did import it
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN or m in FORBIDDEN)
    assert bad == [], f"sim.mechanisms.{name} pulls in {bad}"
