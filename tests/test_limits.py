"""Limits are defined once (fashiongen/limits.py): the UI and the README follow it."""

from __future__ import annotations

from fashiongen.limits import MAX_DESIGNS, MAX_OUTPUT_SIDE, markdown_table
from tests.helpers import ROOT


def test_readme_limits_table_is_the_one_in_limits_py():
    assert markdown_table() in (ROOT / "README.md").read_text()


def test_the_ui_sliders_use_the_limits():
    import app

    config = app.demo.get_config_file()
    sliders = {c["props"].get("label"): c["props"] for c in config["components"] if c["type"] == "slider"}
    assert sliders["Number of designs"]["maximum"] == MAX_DESIGNS
    assert sliders["Output size (long side, px)"]["maximum"] == MAX_OUTPUT_SIDE
