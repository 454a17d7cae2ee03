"""Which scenario keys a scripted event may change, found by watching the model read them.

A scripted event replaces the live scenario mid-run; a change matters only where the model
reads the key again after it was built. Some keys are read only while the model is built
(the map, the camps, where the checkpoints and posts stand, starting strengths, the number
of rungs): changing them later would do nothing or break the run. Rather than keep a list
of those by hand, :func:`fixed_keys` builds a small model on a scenario whose every
section is wrapped so that each read is recorded, first while the model is built, then
while it runs some days; a key read while building and never again is fixed on day 0.

Lists are watched two ways: reading their length (``len``, iteration, truth) fixes their
shape, while indexing into them only leads on to the entries' keys.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

KeyPath = tuple[str, ...]
#: Marks the shape (length) of a list in a key path.
SHAPE = "#"
#: Stands for any index of a list in a key path.
ANY = "[]"
#: Changes to the schema's defaults for the traced run: coarse and short, busy enough for
#: every daily path to run (an offensive, route refreshes, leaving, queues, crossings).
TRACE_CHANGES = {
    "grid.cell_km": 10,
    "days": 20,
    "government.forced_rung": 3,
    "russia.forced_rung": 2,
    "border.policy": "quota",
    "border.quota_per_day": 100,
}


class _Reads:
    """The key paths read, per phase ("build" or "run")."""

    def __init__(self) -> None:
        self.phase = "build"
        self.paths: dict[str, set[KeyPath]] = {"build": set(), "run": set()}

    def note(self, path: KeyPath) -> None:
        self.paths[self.phase].add(path)


def _wrap(value: Any, path: KeyPath, reads: _Reads) -> Any:
    if isinstance(value, BaseModel):
        return _TracedSection(value, path, reads)
    if isinstance(value, list):
        return _TracedList(value, path, reads)
    reads.note(path)
    return value


class _TracedSection:
    """A scenario section that records the key path of every value read through it."""

    __slots__ = ("_section", "_path", "_reads")

    def __init__(self, section: BaseModel, path: KeyPath, reads: _Reads):
        object.__setattr__(self, "_section", section)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_reads", reads)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._section, name)
        if name.startswith("_") or callable(value):
            return value
        return _wrap(value, (*self._path, name), self._reads)


class _TracedList:
    """A list in the scenario: its shape is read by ``len``, iteration or truth."""

    __slots__ = ("_items", "_path", "_reads")

    def __init__(self, items: list, path: KeyPath, reads: _Reads):
        self._items, self._path, self._reads = items, path, reads

    def _shape_read(self) -> None:
        self._reads.note((*self._path, SHAPE))

    def __len__(self) -> int:
        self._shape_read()
        return len(self._items)

    def __bool__(self) -> bool:
        self._shape_read()
        return bool(self._items)

    def __iter__(self):
        self._shape_read()
        return (_wrap(item, (*self._path, ANY), self._reads) for item in self._items)

    def __getitem__(self, index: int) -> Any:
        return _wrap(self._items[index], (*self._path, ANY), self._reads)


@cache
def fixed_keys() -> frozenset[KeyPath]:
    """Key paths the model reads while it is built and never again during the run.

    List indices are :data:`ANY`; a path ending in :data:`SHAPE` is a list's length.
    """
    from sim.model import EscalationModel  # the model imports the loader, which imports us
    from sim.world.loader import apply_changes
    from sim.world.schema import Scenario

    scenario = apply_changes(Scenario(), TRACE_CHANGES)
    reads = _Reads()
    model = EscalationModel(_TracedSection(scenario, (), reads))  # type: ignore[arg-type]
    reads.phase = "run"
    model.run()
    return frozenset(reads.paths["build"] - reads.paths["run"])


def _normalise(key: tuple[str | int, ...]) -> KeyPath:
    return tuple(ANY if isinstance(part, int) else part for part in key)


def fixed_part(key: tuple[str | int, ...]) -> str | None:
    """What in ``key`` is fixed on day 0 (a dotted key), or None if an event may set it.

    Setting a key is refused when it is, contains or lies inside something the model
    reads only while it is built; replacing a list is refused when the model fixed its
    length.
    """
    path = _normalise(key)
    for fixed in sorted(fixed_keys()):
        if fixed[-1] == SHAPE:
            hit = fixed[: len(path)] == path and len(path) <= len(fixed) - 1
        else:
            n = min(len(path), len(fixed))
            hit = path[:n] == fixed[:n]
        if hit:
            shown = ".".join(p for p in fixed if p != SHAPE).replace(".[]", "[]")
            return f"{shown} (number of entries)" if fixed[-1] == SHAPE else shown
    return None
