"""Every data file a scenario default cites is shipped in scenarios/data, with its sources."""

import json
import re

from conftest import REPO, RUN_FILES

DATA = REPO / "scenarios" / "data"
CITED = re.compile(r"\b([A-Za-z0-9_]+\.(?:json|csv))\b")


def cited_files() -> set[str]:
    text = (REPO / "sim" / "world" / "schema.py").read_text(encoding="utf-8")
    return set(CITED.findall(text)) - set(RUN_FILES)  # those a run writes are not cited


def test_schema_cites_files_that_are_shipped_and_listed():
    cited = cited_files()
    assert {"actors.json", "displacement_2019.json", "places.csv"} <= cited
    listing = (DATA / "README.md").read_text(encoding="utf-8")
    for name in sorted(cited):
        assert (DATA / name).is_file(), f"{name} is cited in the schema but not shipped"
        assert f"`{name}`" in listing, f"{name} is not described in scenarios/data/README.md"


def test_shipped_json_records_carry_their_sources():
    for name in sorted(n for n in cited_files() if n.endswith(".json")):
        text = (DATA / name).read_text(encoding="utf-8")
        json.loads(text)
        assert text.count("http") >= 5, f"{name} names too few sources"


def test_cited_figures_are_in_the_cited_files():
    # (file, text the schema's description quotes from it)
    for name, figure in [
        ("actors.json", "12-22 Russian strikes"),
        ("actors.json", '"killed_feb_2020": "54'),
        ("actors.json", "38,500"),
        ("displacement_2019.json", "~1 million moving toward Turkish border"),
        ("displacement_2019.json", '"value": 3075'),
    ]:
        assert figure in (DATA / name).read_text(encoding="utf-8"), (name, figure)
