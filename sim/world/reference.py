"""The scenario key reference, generated from the schema so that it never drifts."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim.world.schema import Scenario, section_model


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return "mapping"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _range(field: Any) -> str:
    parts = []
    for m in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(m, attr, None)
            if value is not None:
                parts.append(f"{sym} {value:,}" if isinstance(value, int) else f"{sym} {value}")
    return ", ".join(parts)


def _default_text(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, list):
            return f"{len(value)} entries" if value else "[]"
        if isinstance(value, BaseModel):
            return "(section)"
        return repr(value)
    value = field.default
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"
    return "null" if value is None else str(value)


_SOURCE_MARKS = (".json", ".csv", "OCHA", "SOHR", "OHCHR", "escalation_ladder")


def _basis(field: Any, inner: type[BaseModel] | None) -> str:
    """Where a default comes from: sourced, estimate, setting or neutral."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "basis" in extra:
        return str(extra["basis"])
    if inner is not None:
        return ""
    text = field.description or ""
    if "estimate" in text:
        return "estimate"
    if any(mark in text for mark in _SOURCE_MARKS):
        return "sourced"
    return "estimate"


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, ...]]:
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = section_model(field.annotation)
        is_list = typing.get_origin(field.annotation) is list
        text = field.description or ""
        if not text and inner is not None and inner.__doc__:
            text = inner.__doc__.strip().splitlines()[0]
        rows.append(
            (
                key,
                _type_name(field.annotation),
                _default_text(field),
                _range(field),
                _basis(field, inner),
                text,
            )
        )
        if inner is not None:
            rows.extend(_rows(inner, f"{key}[]." if is_list else f"{key}."))
    return rows


def key_reference() -> str:
    """Markdown table of every scenario key: type, default, allowed range, meaning."""
    lines = [
        "| key | type | default | range | basis | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for key, kind, default, rng, basis, text in _rows(Scenario, ""):
        lines.append(f"| `{key}` | {kind} | {default} | {rng} | {basis} | {text} |")
    return "\n".join(lines)


BEGIN, END = "<!-- BEGIN KEYS -->", "<!-- END KEYS -->"


def splice_into(text: str, table: str) -> str:
    """Replace what lies between the BEGIN/END KEYS markers of ``text`` with ``table``."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def table_in(text: str) -> str:
    """The key table currently between the markers of ``text``."""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


if __name__ == "__main__":  # python -m sim.world.reference README.md: refresh the table
    import sys
    from pathlib import Path

    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(
        splice_into(readme.read_text(encoding="utf-8"), key_reference()), encoding="utf-8"
    )
