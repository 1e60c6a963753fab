"""Path confinement: every user-supplied path stays inside the server root."""

import os

import pytest

from kitlab.errors import PathOutsideRoot
from kitlab.server.paths import resolve_in_root, to_api_path


@pytest.fixture
def root(tmp_path):
    (tmp_path / "root" / "project" / "data").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return tmp_path / "root"


def test_paths_inside_the_root_resolve(root):
    assert resolve_in_root(root, "project/data") == (root / "project" / "data").resolve()
    assert resolve_in_root(root, "") == root.resolve()
    assert resolve_in_root(root, "project/./data/") == (root / "project" / "data").resolve()


@pytest.mark.parametrize("bad", ["../outside", "project/../../outside", "/etc/passwd", "..", "a\x00b", "\\x"])
def test_traversal_and_absolute_paths_are_refused(root, bad):
    with pytest.raises(PathOutsideRoot):
        resolve_in_root(root, bad)


def test_a_symlink_out_of_the_root_is_refused(root, tmp_path):
    os.symlink(tmp_path / "outside", root / "project" / "escape")
    with pytest.raises(PathOutsideRoot, match="outside the workspace"):
        resolve_in_root(root, "project/escape")


def test_a_symlink_within_the_root_is_followed(root):
    os.symlink(root / "project" / "data", root / "shortcut")
    assert resolve_in_root(root, "shortcut") == (root / "project" / "data").resolve()


def test_api_paths_round_trip(root):
    assert to_api_path(root, root / "project" / "data") == "project/data"
    assert to_api_path(root, root) == ""
