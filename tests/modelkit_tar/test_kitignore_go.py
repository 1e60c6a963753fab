""".kitignore semantics against the real moby/patternmatcher v0.6.0 (gen_ignore.go), case by case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit.kitignore import KitIgnore, read_ignore_lines


def _python_answer(ignorefile: str, paths: list[str]) -> dict:
    try:
        ignore = KitIgnore.from_text(ignorefile)
    except InvalidInput:
        return {"error": True, "exclusions": False, "matches": ""}
    matches = "".join("1" if ignore.matches(p) else "0" for p in paths)
    return {"error": False, "exclusions": ignore.has_exclusions, "matches": matches}


def _go_answer(result: dict) -> dict:
    if result["error"]:
        return {"error": True, "exclusions": False, "matches": ""}
    return {"error": False, "exclusions": result["exclusions"], "matches": result["matches"]}


def test_every_case_matches_moby_patternmatcher(gen_ignore, golden_dir: Path) -> None:
    cases_path = golden_dir / "ignore_cases.json"
    table = json.loads(cases_path.read_text(encoding="utf-8"))
    live = json.loads(gen_ignore("table", str(cases_path)))
    assert len(live) == len(table["cases"])
    differences = {}
    for case, result in zip(table["cases"], live, strict=True):
        want = _go_answer(result)
        got = _python_answer(case["ignorefile"], table["paths"])
        if got != want:
            wrong = [
                p for p, a, b in zip(table["paths"], got["matches"], want["matches"], strict=False) if a != b
            ]
            differences[case["id"]] = {"python": got, "go": want, "paths": wrong}
    assert differences == {}


def test_committed_table_is_what_go_answers(gen_ignore, golden_dir: Path) -> None:
    live = json.loads(gen_ignore("table", str(golden_dir / "ignore_cases.json")))
    assert live == json.loads((golden_dir / "ignore_golden.json").read_text(encoding="utf-8"))


def test_table_is_not_trivial(golden_dir: Path) -> None:
    results = json.loads((golden_dir / "ignore_golden.json").read_text(encoding="utf-8"))
    assert any(r["error"] for r in results)
    assert any(r["exclusions"] for r in results)
    assert len({r["matches"] for r in results}) > 30


def test_readable_examples(tmp_path: Path) -> None:
    (tmp_path / ".kitignore").write_text("# checkpoints\n**/.ipynb_checkpoints\n/data\n*.md\n!README.md\n")
    ignore = KitIgnore.from_context(tmp_path)
    assert ignore.has_exclusions
    assert ignore.matches("nb/.ipynb_checkpoints/x.ipynb")
    assert ignore.matches("data/train.csv")
    assert not ignore.matches("database.csv")
    assert ignore.matches("notes.md")
    assert not ignore.matches("docs/notes.md")  # '*' does not cross '/'
    assert not ignore.matches("README.md")
    assert ignore.matches("Kitfile")
    assert ignore.matches(".kitignore")
    assert not ignore.matches("sub/Kitfile")


def test_missing_ignore_file_still_ignores_kitfiles(tmp_path: Path) -> None:
    ignore = KitIgnore.from_context(tmp_path)
    assert not ignore.has_exclusions
    assert [ignore.matches(n) for n in ("kitfile", ".kitfile", "model.bin")] == [True, True, False]


def test_read_ignore_lines_like_moby() -> None:
    data = b"\xef\xbb\xbf/abs/path\r\n  # not a comment\n#comment\n! ./x/../y \n\n"
    assert read_ignore_lines(data) == ["abs/path", "# not a comment", "!y"]


def test_invalid_pattern_is_invalid_input(tmp_path: Path) -> None:
    (tmp_path / ".kitignore").write_text("f[1.txt\n")
    with pytest.raises(InvalidInput, match="kitignore"):
        KitIgnore.from_context(tmp_path)
