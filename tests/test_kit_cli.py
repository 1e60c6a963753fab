"""The kit CLI the interop tests use is present and runs."""


def test_kit_version_runs(kit):
    out = kit.run("version").stdout
    assert out.startswith("Version: ")
    # kitref is pinned to impersonate kit 1.7.0's manifest annotation; a real kit reports its release.
    assert out.split()[1] != "unknown"


def test_kit_lists_an_empty_store(kit, kitops_home):
    result = kit.run("list", "--format", "json")
    assert result.stdout.strip() in ("[]", "null")
