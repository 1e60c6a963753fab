"""kitlab's CLI run in-process, as the CLI tests drive it."""

from __future__ import annotations

import io

import pytest

from kitlab.cli import main


def kitlab(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    """``kitlab ARGV...``: (exit code, stdout, stderr); ``stdin`` (with ``monkeypatch``) is what it reads."""
    if stdin is not None:
        assert monkeypatch is not None, "stdin needs monkeypatch"
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
