"""Byte equality with kit's own fixtures and with yaml.v3/encoding/json oracle output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitlab.kitfile import (
    KitfileError,
    dump_kitfile_yaml,
    from_config_json,
    load_kitfile,
    to_config_json,
)
from kitlab.kitfile.yamlio import safe_load

VECTORS = Path(__file__).parent / "vectors"
KIT_FIXTURES = sorted((VECTORS / "kit-parameters").glob("*.yaml"))
ORACLE = [
    json.loads(line)
    for line in (VECTORS / "yaml_v3_oracle.jsonl").read_text(encoding="utf-8").split("\n")
    if line
]


def test_fixtures_are_present():
    assert len(KIT_FIXTURES) == 5
    assert len(ORACLE) >= 20


@pytest.mark.parametrize("fixture", KIT_FIXTURES, ids=lambda p: p.stem)
def test_kit_parameter_fixtures(fixture):
    case = safe_load(fixture.read_text(encoding="utf-8"))
    kf = load_kitfile(case["kitfileYaml"])
    assert to_config_json(kf) == case["kitfileJson"].encode("utf-8")
    assert dump_kitfile_yaml(kf) == case["kitfileYaml"]


@pytest.mark.parametrize("case", ORACLE, ids=lambda c: c["name"])
def test_yaml_v3_oracle(case):
    if case["goError"]:
        with pytest.raises(KitfileError):
            load_kitfile(case["kitfile"])
        return
    kf = load_kitfile(case["kitfile"])
    config = to_config_json(kf)
    assert config == case["json"].encode("utf-8")
    assert dump_kitfile_yaml(kf) == case["yaml"]
    assert dump_kitfile_yaml(from_config_json(config), json_numbers=True) == case["infoYaml"]
