from conftest import REPO

from sim.world.reference import key_reference, table_in


def test_readme_key_table_matches_the_schema():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert table_in(readme) == key_reference(), "run `make docs` to refresh README.md"


def test_every_scenario_key_named_in_the_issue_exists():
    table = key_reference()
    for key in (
        "days",
        "seed",
        "start_date",
        "grid.cell_km",
        "population.total",
        "bombardment.sorties_per_day",
        "turkey.crisis_threshold_people",
        "border.policy",
        "border.quota_per_day",
        "checkpoints",
        "checkpoints[].name",
        "checkpoints[].open_from_day",
        "checkpoints[].capacity_per_day",
        "rebels.alliance_threshold",
    ):
        assert f"| `{key}` |" in table, key
