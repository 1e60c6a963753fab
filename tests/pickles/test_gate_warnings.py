"""pack and pack & push warn before a dangerous pickle leaves the machine (issue 13), on the CLI's stderr;
the job results carry the same warnings (tests/pickles/test_gate_end_to_end.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import corpus

from kitlab.cli import main

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: gate
model:
  name: m
  path: model.pkl
"""


def test_cli_pack_warns_about_a_dangerous_pickle(tmp_path: Path, capsys):
    folder = tmp_path / "kit"
    folder.mkdir()
    (folder / "Kitfile").write_text(KITFILE)
    (folder / "model.pkl").write_bytes(corpus.assemble(corpus.C(corpus.G("os", "system"), ("true",)), 2))
    (folder / "ok.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    # A dangerous pickle in no layer of the Kitfile does not leave the machine: no warning for it.
    (folder / "scratch.pkl").write_bytes(corpus.assemble(corpus.C(corpus.G("os", "system"), ("true",)), 2))
    assert main(["pack", str(folder), "-t", "gate:v1"]) == 0
    err = capsys.readouterr().err
    assert "Warning: model.pkl is a dangerous pickle (os.system)" in err
    assert "ok.pkl" not in err
    assert "scratch.pkl" not in err


def test_cli_pack_is_quiet_for_safe_pickles(tmp_path: Path, capsys):
    folder = tmp_path / "kit"
    folder.mkdir()
    (folder / "Kitfile").write_text(KITFILE)
    (folder / "model.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    assert main(["pack", str(folder), "-t", "gate:v1"]) == 0
    assert "pickle" not in capsys.readouterr().err
