"""The documents stay true to the code: the ODD's parameter table is the schema's."""

from pathlib import Path

from sim.config import schema_rows
from sim.params import table

ROOT = Path(__file__).resolve().parent.parent


def test_the_odd_parameter_table_is_generated_from_the_schema():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    assert table() in odd, "run: python -m sim.params, and paste its output into docs/ODD.md"


def test_every_parameter_has_a_unit_or_a_meaning_and_a_source():
    for key, _, _, unit, source, doc in schema_rows():
        assert source, key
        assert unit or doc, key


def test_the_readme_gives_the_two_commands_and_its_figure_exists():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert (ROOT / "docs" / "figures" / "policy_comparison.png").exists()
