"""Strict parsing: kit's yaml.v3 KnownFields behaviour, with every problem located."""

from __future__ import annotations

import pytest

from kitlab.errors import InvalidInput, NotFound
from kitlab.kitfile import KitfileError, find_kitfile, load_kitfile, load_kitfile_file


def problems_of(text: str) -> list[tuple[str, int | None, int | None, str]]:
    with pytest.raises(KitfileError) as info:
        load_kitfile(text)
    assert isinstance(info.value, InvalidInput)
    return [(p.path, p.line, p.column, p.message) for p in info.value.problems]


def test_unknown_keys_collected_with_position_and_suggestion():
    text = (
        "manifestVersion: 1.0.0\ndatasets:\n  - path: a\n  - path: b\n    licence: MIT\npakage:\n  name: x\n"
    )
    assert problems_of(text) == [
        ("datasets[1].licence", 5, 5, "unknown field; did you mean license?"),
        ("pakage", 6, 1, "unknown field; did you mean package?"),
    ]


def test_problem_str_reads_like_the_brief():
    with pytest.raises(KitfileError) as info:
        load_kitfile("datasets:\n  - path: a\n  - licence: x\n")
    assert str(info.value.problems[0]).startswith("datasets[1].licence: unknown field; did you mean license?")
    assert info.value.details["problems"][0]["line"] == 3


def test_digest_keys_are_rejected():
    [(path, line, column, message)] = problems_of("code:\n  - path: a\n    diffId: sha256:00\n")
    assert (path, line, column) == ("code[0].diffId", 3, 5)
    assert "filled in by kit" in message


def test_duplicate_keys_in_struct_and_parameters():
    text = "package:\n  name: a\n  name: b\nmodel:\n  parameters:\n    x: 1\n    x: 2\n"
    found = problems_of(text)
    assert found[0][:3] == ("package.name", 3, 3)
    assert "first defined at line 2" in found[0][3]
    assert found[1][:3] == ("model.parameters.x", 7, 5)


def test_type_mismatches():
    found = problems_of("package:\n  name: [a]\n  authors: x\ncode: src\nmodel: 3\n")
    assert [(p, line, col) for p, line, col, _ in found] == [
        ("package.name", 2, 9),
        ("package.authors", 3, 12),
        ("code", 4, 7),
        ("model", 5, 8),
    ]


def test_yaml_syntax_error_is_a_located_problem():
    [(path, line, column, message)] = problems_of("package:\n  name: [unclosed\n")
    assert path == ""
    assert line is not None
    assert line >= 2
    assert column is not None
    assert message.startswith("invalid YAML")


def test_empty_document_is_an_error():
    assert problems_of("# just a comment\n")[0][3] == "the Kitfile is empty"


def test_string_fields_keep_literal_text():
    kf = load_kitfile(
        "manifestVersion: 1.0\npackage:\n  version: 1.10\n  name: yes\n  description: ~\n"
        "  authors: [1.50, on, null]\nmodel:\n  version: 0x10\n"
    )
    assert kf.manifest_version == "1.0"
    assert kf.package.version == "1.10"
    assert kf.package.name == "yes"
    assert kf.package.description == ""
    assert kf.package.authors == ["1.50", "on"]  # yaml.v3 drops null list items
    assert kf.model is not None
    assert kf.model.version == "0x10"


def test_parameters_follow_yaml_v3_typing():
    kf = load_kitfile(
        "model:\n  parameters:\n    hex: 0xFF\n    oct: 017\n    oct2: 0o17\n    bin: 0b11\n    sep: 1_000\n"
        "    yes: yes\n    t: true\n    dot: .5\n    exp: 1e3\n    date: 2001-12-14\n    big: 1e400\n"
        "    n: ~\n    s: !!str 12\n    f: !!float 3\n    a: &x [1]\n    b: *x\n"
        "    m:\n      <<: {k: 1, j: 2}\n      k: 3\n"
    )
    assert kf.model is not None
    assert kf.model.parameters == {
        "hex": 255, "oct": 15, "oct2": 15, "bin": 3, "sep": 1000, "yes": "yes", "t": True, "dot": 0.5,
        "exp": 1000.0, "date": "2001-12-14T00:00:00Z", "big": "1e400", "n": None, "s": "12", "f": 3.0,
        "a": [1], "b": [1], "m": {"k": 3, "j": 2},
    }  # fmt: skip


def test_parameters_kit_cannot_store_are_errors():
    found = problems_of('model:\n  parameters:\n    1: a\n    x: .inf\n    "ok": 1\n')
    assert [(p, line) for p, line, _, _ in found] == [("model.parameters.1", 3), ("model.parameters.x", 4)]


def test_empty_model_and_null_sections():
    assert load_kitfile("model: {}\n").model is not None
    kf = load_kitfile("model: ~\npackage: ~\ncode: ~\n")
    assert kf.model is None
    assert kf.code == []
    assert kf.package.name == ""


def test_newest_schema_keys_are_accepted():
    kf = load_kitfile(
        "prompts:\n  - name: p\n    path: p.md\nmcpServers:\n  - name: s\n    path: s.mcpb\n"
        "datasets:\n  - path: d\n    remotePath: s3://b/k\n    remoteHash: h\n"
    )
    assert kf.prompts[0].name == "p"
    assert kf.mcp_servers[0].path == "s.mcpb"
    assert kf.datasets[0].remote_path == "s3://b/k"
    assert kf.datasets[0].remote_hash == "h"


def test_find_kitfile_order_and_load_file(tmp_path):
    assert find_kitfile(tmp_path) is None
    with pytest.raises(NotFound):
        load_kitfile_file(tmp_path)
    (tmp_path / ".kitfile").write_text("package:\n  name: hidden\n")
    assert find_kitfile(tmp_path) == tmp_path / ".kitfile"
    (tmp_path / "kitfile").write_text("package:\n  name: lower\n")
    assert find_kitfile(tmp_path) == tmp_path / "kitfile"
    (tmp_path / "Kitfile").write_text("\ufeffpackage:\n  name: upper\n")
    assert load_kitfile_file(tmp_path).package.name == "upper"
    assert load_kitfile_file(tmp_path / "kitfile").package.name == "lower"
    with pytest.raises(NotFound):
        load_kitfile_file(tmp_path / "missing")


def test_error_source_names_the_file(tmp_path):
    path = tmp_path / "Kitfile"
    path.write_text("bogus: 1\n")
    with pytest.raises(KitfileError) as info:
        load_kitfile_file(path)
    assert info.value.source == str(path)
    assert str(path) in info.value.message
