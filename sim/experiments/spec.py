"""Experiment files: what a sweep runs, read from YAML and checked with located errors.

An experiment names a base scenario, scenario variants (dotted-key overrides), factors
(dotted keys with a range or choices), a design, replicates with a root seed, and the
outputs to keep. Every problem is one line ``FILE:LINE: key.path: message``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.metrics import CONTRACT_COLUMNS
from sim.world.loader import Problem, ScenarioError, load_scenario, parse_key

KeyPath = tuple[str | int, ...]


class ExperimentError(ScenarioError):
    """An experiment file could not be loaded; ``problems`` holds one entry per problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Factor(_Strict):
    """One varied scenario key: a numeric ``range`` or a list of ``choices``."""

    range: tuple[float, float] | None = Field(None, description="Lowest and highest value.")
    choices: list[Any] | None = Field(None, min_length=1, description="The values to try.")
    levels: int = Field(3, ge=2, le=1000, description="Values across the range (grid design).")
    integer: bool = Field(False, description="Round sampled values to whole numbers.")

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        if (self.range is None) == (self.choices is None):
            raise ValueError("give exactly one of 'range' or 'choices'")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        return self


class Design(_Strict):
    """How points are laid out over the factors."""

    kind: Literal["grid", "lhs", "sobol", "morris", "csv"] = "grid"
    points: int = Field(
        8,
        ge=1,
        le=1_000_000,
        description="lhs: points; sobol: base samples N (N*(2D+2) points, a power of 2); "
        "morris: trajectories (r*(D+1) points).",
    )
    file: str | None = Field(None, description="csv: a file of points, one column per factor.")
    seed: int = Field(0, ge=0, description="Seed of the lhs/morris sampling.")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels.")

    @model_validator(mode="after")
    def _csv_needs_file(self) -> Design:
        if self.kind == "csv" and not self.file:
            raise ValueError("a csv design needs 'file'")
        if self.kind == "sobol" and self.points & (self.points - 1):
            raise ValueError("sobol 'points' must be a power of 2")
        return self


class Outputs(_Strict):
    """What each run keeps besides its outcomes (final values, peaks, first days)."""

    series: list[str] = Field(
        default_factory=lambda: list(CONTRACT_COLUMNS),
        description="Daily columns kept in each run's Parquet file.",
    )
    every_days: int = Field(1, ge=1, le=366, description="Keep every k-th day (and the last).")


class Experiment(_Strict):
    """A validated experiment file (paths resolved against the file's folder)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    base: str = Field(description="Base scenario file, relative to the experiment file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides of every run.")
    scenarios: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"base": {}}, min_length=1)
    factors: dict[str, Factor] = Field(default_factory=dict)
    design: Design = Field(default_factory=Design)
    replicates: int = Field(1, ge=1, le=100_000)
    root_seed: int = Field(0, ge=0, le=2**63 - 1)
    outputs: Outputs = Field(default_factory=Outputs)

    #: Where the file was read from (set by :func:`load_experiment`).
    source: str = ""

    def base_path(self) -> Path:
        """The base scenario file as a path usable from the current directory."""
        return Path(self.source).parent / self.base

    def resolved(self) -> dict[str, Any]:
        """The experiment as plain data, with the base scenario path made absolute."""
        data = self.model_dump(mode="json")
        data["base"] = str(self.base_path().resolve())
        if self.design.file:
            data["design"]["file"] = str((Path(self.source).parent / self.design.file).resolve())
        return data

    def digest(self) -> str:
        """SHA-256 of what decides the runs.

        The experiment (name, scenarios, factors, design, seeds, outputs), what its base
        scenario file says once loaded (its ``extends:`` chain and the schema's defaults
        included) and the model's code: a sweep folder made before either changed is
        not resumed with new runs mixed into old ones.
        """
        data = self.resolved()
        for key in ("description", "source"):
            data.pop(key, None)
        data["base_scenario_sha256"] = scenario_fingerprint(self.base_path())
        data["model_code_sha256"] = model_code_fingerprint()
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def scenario_fingerprint(path: Path) -> str:
    """SHA-256 of a scenario as loaded (every default filled in); of its bytes if it fails."""
    try:
        text = json.dumps(load_scenario(path).model_dump(mode="json"), sort_keys=True)
    except (ScenarioError, OSError):
        text = path.read_bytes().hex() if path.is_file() else str(path)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def model_code_fingerprint() -> str:
    """SHA-256 of the source files of the ``sim`` package (paths and contents)."""
    root = Path(__file__).resolve().parents[1]
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        sha.update(path.relative_to(root).as_posix().encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _line_map(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _line_map(value_node, (*path, key_node.value), out)
            out[(*path, key_node.value)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)


def _line(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _key_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read(path: Path) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError([Problem(name, None, "", f"cannot read file ({exc})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark else None
        raise ExperimentError([Problem(name, line, "", f"not valid YAML: {what}")]) from None
    if not isinstance(data, dict):
        raise ExperimentError([Problem(name, 1, "", "an experiment must be a mapping of keys")])
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return data, lines


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return error["msg"].removeprefix("Value error, ")


def sample_overrides(factor: Factor) -> list[Any]:
    """Values of a factor worth checking against the scenario schema before a sweep."""
    if factor.choices is not None:
        return list(factor.choices)
    low, high = factor.range  # type: ignore[misc]
    if factor.integer:
        return [round(low), round(high)]
    return [low, high]


def override_text(key: str, value: Any) -> str:
    """A ``--set`` string for a dotted key and a value (JSON is YAML, so types survive)."""
    return f"{key}={json.dumps(value)}"


def _check_against_scenario(exp: Experiment, lines: dict[KeyPath, int]) -> list[Problem]:
    """Load the base with each variant and each factor's extreme values; locate problems."""
    file = exp.source
    base = exp.base_path()
    if not base.is_file():
        return [Problem(file, _line(lines, ("base",)), "base", f"file not found: {base}")]
    common = [override_text(k, v) for k, v in exp.set.items()]
    trials: list[tuple[KeyPath, list[str]]] = [(("set",), common)]
    for name, changes in exp.scenarios.items():
        trials += [
            (("scenarios", name, key), [*common, override_text(key, value)])
            for key, value in changes.items()
        ]
    for key, factor in exp.factors.items():
        trials += [
            (("factors", key), [*common, override_text(key, value)])
            for value in sample_overrides(factor)
        ]
    problems: list[Problem] = []
    for where, overrides in trials:
        try:
            load_scenario(base, overrides)
        except ScenarioError as exc:
            for p in exc.problems:
                if p.file == "--set" or where == ("set",):
                    key = _key_text(where) if len(where) > 1 else f"set.{p.key}"
                    problems.append(Problem(file, _line(lines, where), key, p.message))
                else:
                    problems.append(p)
    for key in exp.factors:
        try:
            parse_key(key)
        except ValueError as exc:
            problems.append(
                Problem(file, _line(lines, ("factors", key)), f"factors.{key}", str(exc))
            )
    for i, column in enumerate(exp.outputs.series):
        if column not in _known_columns():
            where = ("outputs", "series", i)
            problems.append(
                Problem(file, _line(lines, where), _key_text(where), f"unknown column {column!r}")
            )
    return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _known_columns() -> tuple[str, ...]:
    from sim.experiments.simulate import series_columns

    return series_columns()


def _check_csv_design(exp: Experiment, csv_path: Path) -> list[Problem]:
    """Each column of a CSV design is a scenario key; its lowest and highest values load."""
    import pandas as pd

    name = str(csv_path)
    try:
        frame = pd.read_csv(csv_path)
    except (ValueError, OSError) as exc:
        return [Problem(name, None, "", f"cannot read CSV ({str(exc).splitlines()[0]})")]
    if frame.empty:
        return [Problem(name, 1, "", "no design points")]
    problems = []
    common = [override_text(k, v) for k, v in exp.set.items()]
    for column in frame.columns:
        try:
            parse_key(column)
        except ValueError as exc:
            problems.append(Problem(name, 1, column, str(exc)))
            continue
        values = frame[column].dropna()
        if len(values) < len(frame):
            row = int(frame[column].isna().to_numpy().argmax()) + 2
            problems.append(Problem(name, row, column, "empty value"))
            continue
        picks = {values.idxmin(), values.idxmax()} if values.dtype.kind in "if" else {0}
        for row in sorted(picks):
            value = values[row].item() if hasattr(values[row], "item") else values[row]
            try:
                load_scenario(exp.base_path(), [*common, override_text(column, value)])
            except ScenarioError as exc:
                problems += [Problem(name, row + 2, column, p.message) for p in exc.problems]
    return problems


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file.

    Args:
        path: The experiment YAML file.

    Returns:
        The validated experiment; ``source`` holds ``path``.

    Raises:
        ExperimentError: One :class:`~sim.world.loader.Problem` per problem found, each
            naming the file, the line and the key path.
    """
    path = Path(path)
    data, lines = _read(path)
    data.pop("source", None)
    try:
        exp = Experiment.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(Problem(str(path), _line(lines, loc), _key_text(loc), _message(error)))
        raise ExperimentError(problems) from None
    problems = _check_against_scenario(exp, lines)
    if exp.design.kind in ("sobol", "morris") and not exp.factors:
        problems.append(
            Problem(str(path), _line(lines, ("design",)), "design.kind", "needs factors")
        )
    if exp.design.kind in ("sobol", "morris", "lhs"):
        for key, factor in exp.factors.items():
            if factor.range is None:
                where = ("factors", key)
                problems.append(
                    Problem(
                        str(path),
                        _line(lines, where),
                        f"factors.{key}",
                        f"a {exp.design.kind} design needs a range, not choices",
                    )
                )
    if exp.design.kind == "csv":
        where = ("design", "file")
        csv_path = Path(path).parent / str(exp.design.file)
        if not csv_path.is_file():
            problems.append(
                Problem(
                    str(path), _line(lines, where), "design.file", f"file not found: {csv_path}"
                )
            )
        elif not problems:
            problems += _check_csv_design(exp, csv_path)
    if problems:
        raise ExperimentError(problems)
    return exp
