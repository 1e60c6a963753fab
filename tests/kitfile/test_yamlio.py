"""Plain YAML through ruamel.yaml, the project's one YAML library: workspace YAML (dvc.yaml, MLmodel)
is read as plain values within the Kitfile's size and nesting limits, and ``kitlab scan --format yaml``
writes keys in their order."""

from __future__ import annotations

import pytest

from kitlab.kitfile.yamlio import YAMLError, safe_dump, safe_load


def test_plain_values_in_and_keys_in_order_out() -> None:
    data = {"zeta": 1, "alpha": [1.5, None, True], "name": "modèle", "nested": {"b": "x", "a": "y"}}
    text = safe_dump(data)
    assert text.index("zeta") < text.index("alpha")
    assert "modèle" in text  # Unicode kept, not escaped
    assert safe_load(text) == data
    assert type(safe_load("a: {b: [1]}")["a"]) is dict  # plain values, not ruamel's round-trip types


def test_yaml_1_2_semantics() -> None:
    assert safe_load("a: yes\nb: 010\n") == {"a": "yes", "b": 10}


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2", "[" * 5000 + "]" * 5000, "x: " + "y" * (2 << 20), "a: !!python/object:os.system {}"],
    ids=["malformed", "deep", "huge", "python-tag"],
)
def test_bad_or_hostile_yaml_is_a_yaml_error(text: str) -> None:
    with pytest.raises(YAMLError):
        safe_load(text)


def test_pyyaml_only_gives_the_kitfile_parser_its_events() -> None:
    """Two YAML libraries, one job each: libyaml (through PyYAML) reads a Kitfile's events in
    ``yamlnodes.py``; ruamel.yaml does everything else. No module loads YAML with PyYAML's rules."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    uses = [
        str(p.relative_to(root))
        for folder in ("kitlab", "tests", "scripts", "benchmarks")
        for p in (root / folder).rglob("*.py")
        if re.search(r"^\s*(import yaml\b|from yaml\b)", p.read_text(encoding="utf-8"), re.M)
    ]
    assert uses == ["kitlab/kitfile/yamlnodes.py"]
    assert "pyyaml>=" in (root / "pyproject.toml").read_text(encoding="utf-8").lower()
