"""Load scenario files: safe YAML, ``extends:`` inheritance, ``--set`` overrides, clear errors.

Every problem is reported as one line ``FILE:LINE: KEY.PATH: what is wrong`` so that a
user can jump straight to it. Nothing here writes files.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.world.schema import (
    Capture,
    KeyValueError,
    Place,
    Scenario,
    ScriptedEvent,
    section_model,
)

Origin = tuple[str, int | None]
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as we can."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` holds one entry per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_key(path: KeyPath) -> str:
    """Render a key path as users write it, e.g. ``checkpoints[1].capacity_per_day``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY_FULL = re.compile(rf"{_NAME}(\[\d+\])*(\.{_NAME}(\[\d+\])*)*")
_KEY_PART = re.compile(rf"({_NAME})|\[(\d+)\]")


def parse_key(text: str) -> KeyPath:
    """Parse ``a.b[2].c`` into ``("a", "b", 2, "c")``; raise ValueError when malformed."""
    text = text.strip()
    if not _KEY_FULL.fullmatch(text):
        raise ValueError(f"cannot read key {text!r} (expected a form like a.b[0].c)")
    return tuple(m.group(1) if m.group(1) else int(m.group(2)) for m in _KEY_PART.finditer(text))


#: Deepest nesting of lists and mappings a scenario may use (the schema needs five).
MAX_DEPTH = 50


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay strings for the schema to check.

    PyYAML would turn ``2019-02-30`` into a crash rather than a located error. Aliases
    (``*name``) are refused, since a few nested ones expand to billions of values (an
    "alias bomb"), and so is nesting deeper than :data:`MAX_DEPTH`.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing aliases and too deep nesting (YAML errors, located)."""
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in scenario files", mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse YAML text into its node tree (for lines) and its data; raise yaml.YAMLError."""
    loader = _Loader(text)  # a SafeLoader subclass: no Python tags, no code
    try:
        node = loader.get_single_node()  # one parse gives both the lines and the data
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
    finally:
        loader.dispose()
    return node, data


def _yaml_error_text(exc: yaml.YAMLError) -> str:
    """The one-line gist of a PyYAML error (its full text spans several lines)."""
    what = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    return what


def _yaml_value(text: str) -> Any:
    """Parse one YAML value (for --set) with the same rules as scenario files."""
    node, data = _parse(text)
    if node is not None:
        duplicates = _duplicate_keys(node, (), "--set")
        if duplicates:
            raise yaml.YAMLError(f"key '{duplicates[0].key}' is given twice")
    return data


def _duplicate_keys(node: yaml.Node, path: KeyPath, file: str) -> list[Problem]:
    """One problem per key given twice in the same mapping (YAML keeps the last silently)."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is not None and key in first_line:
                problems.append(
                    Problem(
                        file,
                        line,
                        format_key((*path, key)),
                        f"duplicate key: given on line {first_line[key]} and again on line "
                        f"{line}; keep one",
                    )
                )
            elif key is not None:
                first_line[key] = line
            problems += _duplicate_keys(value_node, (*path, key if key is not None else "?"), file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _duplicate_keys(item, (*path, i), file)
    return problems


def _line_map(node: yaml.Node, path: KeyPath, file: str, out: dict[KeyPath, Origin]) -> None:
    out[path] = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key, str):  # a list or mapping as a key: the schema refuses it
                continue
            _line_map(value_node, (*path, key), file, out)
            out[(*path, key)] = (file, key_node.start_mark.line + 1)  # the key's own line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), file, out)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(name, None, "", f"cannot read file ({exc})")]) from None
    try:
        node, data = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = _yaml_error_text(exc)
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: {what}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", "a scenario must be a mapping of keys")])
    lines: dict[KeyPath, Origin] = {}
    if node is not None:
        duplicates = _duplicate_keys(node, (), name)
        if duplicates:
            raise ScenarioError(duplicates)
        _line_map(node, (), name, lines)
    return data, lines


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_with_extends(
    path: Path, seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    path = Path(path)
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in (*seen, resolved))
        raise ScenarioError([Problem(str(path), None, "extends", f"circular extends: {chain}")])
    data, lines = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    if not isinstance(parent, str):
        line = lines.get(("extends",), (str(path), None))[1]
        raise ScenarioError([Problem(str(path), line, "extends", "expected a file name")])
    parent_path = Path(os.path.normpath(path.parent / parent))
    line = lines.get(("extends",), (str(path), None))[1]
    if not parent_path.exists():
        raise ScenarioError([Problem(str(path), line, "extends", f"file not found: {parent_path}")])
    if not parent_path.is_file():
        problem = f"{parent_path} is a folder, not a scenario file"
        raise ScenarioError([Problem(str(path), line, "extends", problem)])
    base, base_lines = _read_with_extends(parent_path, (*seen, resolved))
    # Where the child replaces a value (anything but a mapping), the parent's lines below go.
    replaced = [k for k in lines if k and not isinstance(_get(data, k), dict)]
    merged_lines = {
        k: v for k, v in base_lines.items() if not any(k[: len(r)] == r for r in replaced)
    }
    merged_lines.update(lines)
    return _deep_merge(base, data), merged_lines


def _get(data: Any, key: KeyPath) -> Any:
    for part in key:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def set_key(data: dict[str, Any], key: KeyPath, value: Any) -> None:
    """Set ``data[key...] = value``, creating mappings on the way; lists must have the index."""
    node: Any = data
    for i, part in enumerate(key[:-1]):
        nxt = key[i + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise KeyError(f"{format_key(key[: i + 1])} does not exist")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise KeyError(f"{format_key(key[:i])} is not a mapping")
        if part not in node or node[part] is None:
            if isinstance(nxt, int):
                raise KeyError(f"{format_key(key[: i + 1])} is not a list here")
            node[part] = {}
        node = node[part]
    last = key[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise KeyError(f"{format_key(key)} does not exist")
    elif not isinstance(node, dict):
        raise KeyError(f"{format_key(key[:-1])} is not a mapping")
    node[last] = value


def _fill_default_lists(data: dict[str, Any], key: KeyPath) -> None:
    """Copy schema defaults into ``data`` where ``key`` indexes a list the file left out.

    So that ``--set checkpoints[0].capacity_per_day=5`` works on the default checkpoints.
    """
    for i in range(len(key) - 1):
        if isinstance(key[i + 1], int) and _get(data, key[: i + 1]) is None:
            owner = _model_at(key[:i])
            field = owner.model_fields.get(key[i]) if owner is not None else None
            if field is None:
                return
            default = field.get_default(call_default_factory=True)
            if isinstance(default, list):
                dumped = [
                    v.model_dump(mode="python") if isinstance(v, BaseModel) else v for v in default
                ]
                try:
                    set_key(data, key[: i + 1], dumped)
                except KeyError:
                    return


def parse_override(text: str) -> tuple[KeyPath, Any]:
    """Split ``key.path=value`` and parse the value as YAML (so ``[]`` is an empty list)."""
    if "=" not in text:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    key_text, value_text = text.split("=", 1)
    key = parse_key(key_text)
    try:
        value = _yaml_value(value_text) if value_text.strip() else None
    except yaml.YAMLError as exc:
        problem = f"value {value_text!r} is not valid YAML ({_yaml_error_text(exc)})"
        raise ValueError(problem) from None
    return key, value


def _model_at(path: KeyPath) -> type[BaseModel] | None:
    """The schema class that owns the keys at ``path``, if the path leads to one."""
    model: Any = Scenario
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = section_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _origin(lines: dict[KeyPath, Origin], path: KeyPath, default_file: str) -> Origin:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return (default_file, None)


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    msg = error["msg"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    got = error.get("input")
    got_text = type(got).__name__ if isinstance(got, (dict, list)) else repr(got)
    return f"{msg[0].lower()}{msg[1:]} (got {got_text})"


def _problems_from(
    exc: ValidationError, lines: dict[KeyPath, Origin], default_file: str, prefix: KeyPath = ()
) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(
            p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function"))
        )
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, KeyValueError):  # a check across keys names the key it blames
            loc = (*loc, *cause.path)
        path = (*prefix, *loc)
        file, line = _origin(lines, path, default_file)
        message = _describe(error)
        if error["type"] == "extra_forbidden":
            owner = _model_at(loc[:-1])
            if owner is not None:
                close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1)
                if close:
                    message += f"; did you mean '{format_key((*path[:-1], close[0]))}'?"
                else:
                    message += f"; known keys here: {', '.join(owner.model_fields)}"
        problems.append(Problem(file, line, format_key(path), message))
    return problems


def _check_capture(
    capture: Capture, i: int, lines: dict[KeyPath, Origin], file: str
) -> list[Problem]:
    """A captured place must be a town of the shipped map data, a point on the map."""
    from sim.world.geography import LAT_RANGE, LON_RANGE, load_map_data

    if capture.place is None:
        problems = []
        for coordinate, value, (low, high) in (
            ("lat", capture.lat, LAT_RANGE),
            ("lon", capture.lon, LON_RANGE),
        ):
            if not low <= value <= high:
                key: KeyPath = ("events", i, "capture", coordinate)
                message = f"{value} is off the map ({coordinate} {low:.2f}..{high:.2f})"
                problems.append(Problem(*_origin(lines, key, file), format_key(key), message))
        return problems
    names = [town[0] for town in load_map_data().towns]
    if capture.place in names:
        return []
    key = ("events", i, "capture", "place")
    message = f"unknown place '{capture.place}'"
    close = difflib.get_close_matches(capture.place, names, n=1)
    message += f"; did you mean '{close[0]}'?" if close else " (towns of places.csv)"
    return [Problem(*_origin(lines, key, file), format_key(key), message)]


def _places(scenario: Scenario) -> list[tuple[KeyPath, Place]]:
    """Every place a scenario puts on the map, with its key path."""
    found: list[tuple[KeyPath, Place]] = [(("border", "crossing"), scenario.border.crossing)]
    for owner, name, items in (
        (("turkey",), "observation_posts", scenario.turkey.observation_posts),
        (("government",), "axes", scenario.government.axes),
        ((), "checkpoints", scenario.checkpoints),
        ((), "camps", scenario.camps),
    ):
        found += [((*owner, name, i), place) for i, place in enumerate(items)]
    return found


def _check_places_on_map(
    scenario: Scenario, lines: dict[KeyPath, Origin], file: str, prefix: KeyPath = ()
) -> list[Problem]:
    """Refuse places off the grid, which the model would otherwise move to its edge."""
    from sim.world.geography import LAT_RANGE, LON_RANGE

    extent = (
        f"the map covers lat {LAT_RANGE[0]:.2f}..{LAT_RANGE[1]:.2f} N and "
        f"lon {LON_RANGE[0]:.2f}..{LON_RANGE[1]:.2f} E"
    )
    problems = []
    for path, place in _places(scenario):
        for coordinate, value, (low, high) in (
            ("lat", place.lat, LAT_RANGE),
            ("lon", place.lon, LON_RANGE),
        ):
            if not low <= value <= high:
                key = (*path, coordinate)
                where = _origin(lines, (*prefix, *key), file)
                problems.append(
                    Problem(*where, format_key(key), f"{place.name!r} is off the map ({extent})")
                )
    return problems


def event_day(scenario: Scenario, event: ScriptedEvent) -> int:
    """The run day a scripted event falls on (``day``, or ``date`` counted from the start)."""
    return event.day if event.day is not None else (event.date - scenario.start_date).days


def events_after_end(scenario: Scenario) -> int:
    """How many scripted events fall after the last day (a run shortened by ``--days``)."""
    return sum(event_day(scenario, e) > scenario.days for e in scenario.events)


def _check_events(scenario: Scenario, lines: dict[KeyPath, Origin], file: str) -> list[Problem]:
    """Check that each scripted event is in the run and sets known, changeable keys."""
    problems: list[Problem] = []
    base = scenario.model_dump(mode="python")
    # A run shortened on the command line skips the file's later events (see events_after_end).
    shortened = lines.get(("days",), (None,))[0] == "--set"
    for i, event in enumerate(scenario.events):
        day = event_day(scenario, event)
        if day < 0 or (day > scenario.days and not shortened):
            where = _origin(lines, ("events", i), file)
            problems.append(
                Problem(
                    *where, f"events[{i}]", f"day {day} is outside the run (0..{scenario.days})"
                )
            )
        if event.capture is not None:
            problems.extend(_check_capture(event.capture, i, lines, file))
        for key_text, value in event.set.items():
            prefix: KeyPath = ("events", i, "set", key_text)
            where = _origin(lines, prefix, file)
            try:
                key = parse_key(key_text)
            except ValueError as exc:
                problems.append(Problem(*where, format_key(prefix), str(exc)))
                continue
            # Which keys the model fixes on day 0 is found by watching it read them.
            from sim.event_keys import fixed_part

            fixed = fixed_part(key)
            if fixed is not None:
                problems.append(
                    Problem(
                        *where,
                        format_key(prefix),
                        f"cannot change during a run: the model reads {fixed} only on day 0",
                    )
                )
                continue
            trial = copy.deepcopy(base)
            try:
                set_key(trial, key, value)
                trial["events"] = []
                Scenario.model_validate(trial)
            except KeyError as exc:
                problems.append(Problem(*where, format_key(prefix), str(exc.args[0])))
            except ValidationError as exc:
                for p in _problems_from(exc, {}, file):
                    problems.append(
                        Problem(where[0], where[1], f"events[{i}].set.{p.key}", p.message)
                    )
    return problems


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: The scenario YAML file. An ``extends: other.yaml`` key (relative to this file)
            loads ``other.yaml`` first and deep-merges this file over it.
        overrides: ``dotted.key=value`` strings applied last; values are parsed as YAML.

    Returns:
        The validated scenario with every default filled in.

    Raises:
        ScenarioError: With one :class:`Problem` per thing wrong; nothing is half-loaded.
    """
    path = Path(path)
    data, lines = _read_with_extends(path)
    problems: list[Problem] = []
    for text in overrides:
        try:
            key, value = parse_override(text)
            _fill_default_lists(data, key)
            set_key(data, key, value)
        except (ValueError, KeyError) as exc:
            problems.append(Problem("--set", None, text.split("=", 1)[0], str(exc.args[0])))
            continue
        for known in [k for k in lines if k[: len(key)] == key]:
            del lines[known]
        # Keys --set brings in (and their new parents) are blamed on --set, not the file.
        for end in range(1, len(key) + 1):
            if key[:end] not in lines:
                lines[key[:end]] = ("--set", None)
        lines[key] = ("--set", None)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, lines, str(path))) from None
    problems = _check_places_on_map(scenario, lines, str(path))
    problems += _check_events(scenario, lines, str(path))
    if problems:
        raise ScenarioError(problems)
    return scenario


def apply_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """Return a new scenario with dotted-key ``changes`` applied (already checked at load)."""
    data = scenario.model_dump(mode="python")
    for key_text, value in changes.items():
        set_key(data, parse_key(key_text), value)
    return Scenario.model_validate(data)


def scenario_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML text (what ``scenario.yaml`` in a run folder holds)."""
    return yaml.safe_dump(
        scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario text: equal hashes mean equal inputs."""
    return hashlib.sha256(scenario_yaml(scenario).encode("utf-8")).hexdigest()
