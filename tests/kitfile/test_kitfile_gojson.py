"""kitlab's Go-compatible JSON encoder against vectors printed by real Go (gen_vectors.go)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from kitlab.kitfile import GoJSONError, encode_ordered, go_json_dumps

HERE = Path(__file__).parent
VECTORS = HERE / "vectors" / "gojson.jsonl"


def _go() -> str:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    assert Path(go).exists(), "a Go toolchain is required for these tests"
    return go


def _load() -> list[dict]:
    return [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").split("\n") if line]


def _value(vector: dict):
    kind, raw = vector["kind"], vector["input"]
    if kind == "float":
        return struct.unpack(">d", bytes.fromhex(raw))[0]
    if kind == "int":
        return int(raw)
    if kind == "string":
        return bytes.fromhex(raw)
    return {bytes.fromhex(k).decode("utf-8", "surrogateescape"): i for i, k in enumerate(raw)}


def test_committed_vectors_are_what_go_prints(tmp_path):
    # A build cache outside $HOME that survives between runs (a cold one compiles the stdlib: ~10 s).
    cache = os.environ.get("GOCACHE") or str(Path(tempfile.gettempdir()) / "kitlab-test-gocache")
    env = {**os.environ, "GOCACHE": cache, "GOFLAGS": "", "GOTOOLCHAIN": "local"}
    env.setdefault("HOME", str(tmp_path))
    result = subprocess.run(
        [_go(), "run", str(HERE / "gen_vectors.go")],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=300,
    )
    assert result.stdout.decode("utf-8") == VECTORS.read_text(encoding="utf-8")


@pytest.mark.parametrize("vector", _load(), ids=lambda v: f"{v['kind']}-{v['input']}"[:60])
def test_encoder_matches_go(vector):
    value = _value(vector)
    try:
        out = go_json_dumps(value).decode("utf-8")
    except GoJSONError:
        out = "error"
    assert out == vector["output"]


def test_surrogate_escaped_str_equals_bytes_input():
    raw = b"ok\xff\xe2\x82"
    assert (
        go_json_dumps(raw.decode("utf-8", "surrogateescape"))
        == go_json_dumps(raw)
        == b'"ok\\ufffd\\ufffd\\ufffd"'
    )


def test_encode_ordered_applies_omitempty_but_keeps_structs():
    inner = encode_ordered([("a", "", True)])
    doc = encode_ordered(
        [("z", 1, False), ("empty", "", True), ("kept", "", False), ("s", inner, True), ("l", [], True)]
    )
    assert go_json_dumps(doc) == b'{"z":1,"kept":"","s":{}}'


def test_non_string_map_key_is_refused():
    with pytest.raises(GoJSONError):
        go_json_dumps({1: "a"})
