"""Size and nesting limits of the Kitfile parser, applied before the YAML parser runs (docs/hardening.md),
through the library and the CLI (the server's side is in tests/test_server_limits.py)."""

import time

import pytest

from kitlab.cli import main
from kitlab.kitfile import MAX_DEPTH, MAX_DOCUMENT_BYTES, KitfileError, load_kitfile, load_kitfile_file
from kitlab.kitfile.parse import locate_problems
from kitlab.kitfile.problems import Problem

PREAMBLE = "manifestVersion: 1.0.0\nmodel:\n  path: m.bin\n  parameters: "

BOMBS = {
    "flow": "[" * 50_000 + "]" * 50_000,
    "flow mappings in parameters": PREAMBLE + "{a: " * 5_000 + "1" + "}" * 5_000,
    "block mappings": "".join(" " * i + "k:\n" for i in range(1_400)),
    "compact sequences": "- " * 5_000 + "x",
}


def problems_of(text: str) -> list[dict]:
    with pytest.raises(KitfileError) as excinfo:
        load_kitfile(text)
    return excinfo.value.details["problems"]


@pytest.mark.parametrize("name", BOMBS)
def test_a_nesting_bomb_is_refused_at_once_with_its_position(name):
    started = time.monotonic()
    problems = problems_of(BOMBS[name])
    assert time.monotonic() - started < 2  # the bound; unbounded it took minutes
    assert [p["message"] for p in problems] == [f"the document nests deeper than {MAX_DEPTH} levels"]
    assert problems[0]["line"] >= 1


def test_nesting_within_the_limit_and_brackets_in_quotes_are_fine():
    load_kitfile(PREAMBLE + "[" * 90 + "]" * 90 + "\n")
    load_kitfile(PREAMBLE + "{}\n  description: '" + "[" * 500 + "'\n")
    load_kitfile(PREAMBLE + '{}\n  description: "' + "{" * 500 + '"  # ' + "[" * 500 + "\n")


def test_an_oversized_document_is_refused_before_parsing():
    text = PREAMBLE + "{}\n  description: " + "x" * MAX_DOCUMENT_BYTES + "\n"
    (problem,) = problems_of(text)
    assert "at most 1,048,576 bytes" in problem["message"]


def test_an_oversized_kitfile_on_disk_is_refused_without_reading_it_all(tmp_path):
    with open(tmp_path / "Kitfile", "wb") as f:
        f.truncate(64 * MAX_DOCUMENT_BYTES)  # sparse: a 64 MiB file of zero bytes
    with pytest.raises(KitfileError, match="larger than 1,048,576 bytes"):
        load_kitfile_file(tmp_path)


def test_locating_problems_in_a_bomb_leaves_them_as_they_were():
    problems = [Problem(path="model.path", message="missing")]
    assert locate_problems(problems, BOMBS["flow"]) == problems


def test_the_cli_refuses_a_nesting_bomb_with_a_clear_message(tmp_path, capsys):
    (tmp_path / "m.bin").write_bytes(b"w")
    (tmp_path / "Kitfile").write_text(BOMBS["flow mappings in parameters"])
    started = time.monotonic()
    code = main(["pack", str(tmp_path), "-t", "bomb:v1"])
    _, err = capsys.readouterr()
    assert code != 0
    assert time.monotonic() - started < 2
    assert f"nests deeper than {MAX_DEPTH} levels" in err
    assert "Traceback" not in err
