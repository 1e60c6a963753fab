"""pack → store → unpack with real files: round trips, reproducibility, compression, cancel, stat cache."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import zstandard

from kitlab.errors import Cancelled, Conflict, InvalidInput, KitlabError, NotFound
from kitlab.kitfile import from_config_json
from kitlab.modelkit import statcache
from kitlab.modelkit.manifest import Descriptor, build_manifest
from kitlab.modelkit.pack import pack, plan_pack
from kitlab.modelkit.statcache import RACY_WINDOW_NS
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import parse_filter, unpack
from kitlab.progress import CancelToken, ProgressEvent
from tests.support.wire import sha256_of
from tests.support.workspace import write_context

REPO_ROOT = Path(__file__).resolve().parents[2]

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: demo
  authors: [ann]
model:
  name: m
  path: models/w.bin
code:
  - path: src
datasets:
  - name: train
    path: data/train.csv
docs:
  - path: README.md
"""

FILES = {
    "models/w.bin": b"\x00weights" * 1000,
    "models/other.bin": b"not packed: sibling of the model file",
    "src/a.py": b"print('a')\n",
    "src/pkg/b.py": b"B = 2\n",
    "data/train.csv": b"x,y\n1,2\n",
    "README.md": b"# demo\n",
}
PACKED = sorted(set(FILES) - {"models/other.bin"})


def make_context(root: Path, kitfile: str = KITFILE, files: dict[str, bytes] = FILES) -> Path:
    return write_context(root / "ctx", files, kitfile)


# The stat cache does not trust files modified within RACY_WINDOW_NS of its clock. Rather than sleep
# past that window, the tests move the cache's clock on: every file then looks old enough.
AGE_NS = 2 * RACY_WINDOW_NS


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freshly written files count as settled (the stat cache's clock runs AGE_NS ahead)."""
    monkeypatch.setattr(statcache, "now_ns", lambda: time.time_ns() + AGE_NS)


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStore:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "kitops"))
    return LocalStore(tmp_path / "kitops")


def test_pack_writes_a_kit_kit_can_read(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    events: list[ProgressEvent] = []
    res = pack(ctx, tags=["demo:v1,extra"], store=store, progress=events.append, cli_version="1.7.0")
    assert res.reference == "demo:v1"
    assert [layer.media_type.rsplit(".", 3)[1] for layer in res.layers] == [
        "model",
        "code",
        "dataset",
        "docs",
    ]
    assert all(layer.digest == layer.diff_id for layer in res.layers)
    desc = store.resolve("demo:extra")
    assert desc.digest == res.manifest_digest
    manifest = store.get_manifest(desc)
    assert manifest.cli_version == "1.7.0"
    assert [d.digest for d in manifest.layers] == [layer.digest for layer in res.layers]
    config = from_config_json(store.read_blob(manifest.config))
    assert config.model is not None
    assert config.model.layer is not None
    assert config.model.layer.digest == res.layers[0].digest
    assert config.datasets[0].layer is not None
    assert config.datasets[0].layer.diff_id == res.layers[2].diff_id
    (kit,) = store.list_kits()
    assert kit.tags == ["extra", "v1"]
    assert kit.model_name == "demo"
    assert kit.size == sum(layer.size for layer in res.layers)
    # every layer reported progress up to its total
    for i, layer in enumerate(res.layers):
        last = [e for e in events if e.index == i][-1]
        assert last.done == last.total
        assert last.item == layer.path


def test_round_trip_tree_equal(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    pack(ctx, tags=["demo:v1"], store=store)
    out = tmp_path / "out"
    events: list[ProgressEvent] = []
    res = unpack("demo:v1", out, store=store, progress=events.append)
    assert res.kitfile_written
    assert {e.stage for e in events} == {"extract"}
    for i, layer in enumerate(res.layers):
        mine = [e for e in events if e.index == i]
        assert [e.done for e in mine] == sorted(e.done for e in mine)
        assert mine[-1].done == mine[-1].total == store.blob_path(layer.digest).stat().st_size
    got = tree(out)
    want = tree(ctx)
    assert sorted(got) == sorted([*PACKED, "Kitfile"])
    for name in PACKED:
        assert got[name] == want[name]
    # unpacking again: identical Kitfile is fine, existing files conflict unless -o / -i
    with pytest.raises(Conflict):
        unpack("demo:v1", out, store=store)
    unpack("demo:v1", out, store=store, ignore_existing=True)
    unpack("demo:v1", out, store=store, overwrite=True)
    (out / "Kitfile").write_text("manifestVersion: other\n")
    with pytest.raises(Conflict, match="Kitfile"):
        unpack("demo:v1", out, store=store, ignore_existing=True)


def test_untagged_pack_goes_to_localhost_underscore(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), store=store)
    assert res.reference is None
    assert res.repositories == ["localhost/_"]
    (kit,) = store.list_kits()
    assert kit.repo == "<none>"
    assert kit.tags == []
    out = tmp_path / "out"
    unpack(res.manifest_digest, out, store=store, filters=["docs"])
    assert sorted(tree(out)) == ["README.md"]


def test_reproducible_across_mtime_changes_and_stores(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    first = pack(ctx, tags=["demo:v1"], store=store, cli_version="1.7.0")
    for p in ctx.rglob("*"):
        os.utime(p, (1_000_000, 1_000_000))
    second = pack(ctx, tags=["demo:v2"], store=store, cli_version="1.7.0")
    other = pack(ctx, tags=["demo:v1"], store=LocalStore(tmp_path / "other"), cli_version="1.7.0")
    assert first.manifest_digest == second.manifest_digest == other.manifest_digest
    assert first.config_digest == other.config_digest
    # blobs are byte-identical between the two stores
    for layer in first.layers:
        assert (
            store.blob_path(layer.digest).read_bytes()
            == LocalStore(tmp_path / "other").blob_path(layer.digest).read_bytes()
        )
    # a mode change is part of the digest (kit writes permission bits into the tar)
    (ctx / "README.md").chmod(0o600)
    third = pack(ctx, tags=["demo:v3"], store=store, cli_version="1.7.0")
    assert third.layers[3].digest != first.layers[3].digest
    assert third.layers[0].digest == first.layers[0].digest


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_compression_media_types_and_diff_id(tmp_path: Path, store: LocalStore, compression: str) -> None:
    ctx = make_context(tmp_path)
    plain = pack(ctx, tags=["demo:plain"], store=store)
    comp = pack(ctx, tags=[f"demo:{compression}"], store=store, compression=compression)
    for p_layer, c_layer in zip(plain.layers, comp.layers, strict=True):
        assert c_layer.media_type == p_layer.media_type + "+" + compression
        assert c_layer.diff_id == p_layer.digest  # diffId = sha256 of the uncompressed tar
        assert c_layer.digest != p_layer.digest
        blob = store.blob_path(c_layer.digest).read_bytes()
        assert sha256_of(blob) == c_layer.digest
        raw = (
            gzip.decompress(blob)
            if compression == "gzip"
            else zstandard.ZstdDecompressor().decompressobj().decompress(blob)
        )
        assert sha256_of(raw) == c_layer.diff_id
    if compression == "gzip":
        first = store.blob_path(comp.layers[0].digest).read_bytes()
        assert first[:10] == bytes.fromhex("1f8b0800000000000" + "0ff")  # mtime 0, no name, OS 255
    out = tmp_path / "out"
    unpack(f"demo:{compression}", out, store=store)
    assert sorted(tree(out)) == sorted([*PACKED, "Kitfile"])


def _assert_store_untouched(store: LocalStore) -> None:
    s = store.storage
    assert os.listdir(store.tmp_dir) == []
    assert not [n for n in os.listdir(s) if n.endswith("-index.json") or n.endswith("-tags.json")]
    root = json.loads((s / "index.json").read_text())
    assert root["manifests"] == []
    assert store.list_kits() == []


def test_cancel_mid_pack_leaves_no_temp_and_no_index(tmp_path: Path, store: LocalStore) -> None:
    files = {**FILES, "models/w.bin": os.urandom(3 << 20)}
    ctx = make_context(tmp_path, files=files)
    token = CancelToken()

    def cancel_once_writing(event: ProgressEvent) -> None:
        if event.done > 0:
            token.cancel()

    with pytest.raises(Cancelled):
        pack(ctx, tags=["demo:v1"], store=store, progress=cancel_once_writing, cancel=token)
    _assert_store_untouched(store)


def test_pack_errors_before_writing(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path, kitfile=KITFILE.replace("path: src", "path: missing-dir"))
    with pytest.raises(KitlabError, match="missing-dir"):
        pack(ctx, tags=["demo:v1"], store=store)
    assert not (store.storage / "blobs").exists() or not any((store.storage / "blobs/sha256").iterdir())
    with pytest.raises(InvalidInput):
        pack(make_context(tmp_path / "b"), tags=["Bad:Tag"], store=store)


def test_plan_writes_nothing(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    res = plan_pack(ctx, store=store)
    assert not store.home.exists()
    assert [p.kind for p in res.planned] == ["model", "code", "dataset", "docs"]
    assert res.planned[1].files == ["src/a.py", "src/pkg/b.py"]
    assert res.planned[0].size == len(FILES["models/w.bin"])
    assert not any(p.unchanged for p in res.planned)
    assert res.secrets == []


_MEASURED_PACK = textwrap.dedent(
    """
    import json, sys, time
    from kitlab.modelkit import statcache
    from kitlab.modelkit.pack import pack
    from kitlab.modelkit.store import LocalStore

    statcache.now_ns = lambda: time.time_ns() + int(sys.argv[4])  # as the settled fixture

    def rchar():
        with open("/proc/self/io") as f:
            return int(next(line for line in f if line.startswith("rchar:")).split()[1])

    store = LocalStore(sys.argv[2])
    before = rchar()
    res = pack(sys.argv[1], tags=[sys.argv[3]], store=store)
    read = rchar() - before
    print(json.dumps({"read": read, "digest": res.manifest_digest, "cached": [x.cached for x in res.layers]}))
    """
)


def _measured_pack(ctx: Path, store: LocalStore, tag: str) -> dict:
    """Pack in a fresh process and report the bytes it read (``rchar`` of /proc/self/io)."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED_PACK, str(ctx), str(store.home), tag, str(AGE_NS)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_repack_unchanged_files_reads_nothing(tmp_path: Path, store: LocalStore, settled: None) -> None:
    big = 6 << 20
    ctx = make_context(tmp_path, files={**FILES, "models/w.bin": os.urandom(big)})
    first = _measured_pack(ctx, store, "demo:v1")
    assert first["cached"] == [False, False, False, False]
    assert first["read"] > big  # the measurement does see a real read …
    plan = plan_pack(ctx, store=store)
    assert all(p.unchanged for p in plan.planned)
    again = _measured_pack(ctx, store, "demo:again")
    assert again["digest"] == first["digest"]
    assert again["cached"] == [True, True, True, True]
    assert again["read"] < big // 4  # … and a cached re-pack reads none of the data
    # one changed file invalidates only its layer
    (ctx / "src/a.py").write_bytes(b"print('changed')\n")
    plan = plan_pack(ctx, store=store)
    assert [p.unchanged for p in plan.planned] == [True, False, True, True]
    # a cached digest whose blob is gone is not trusted
    store.blob_path(plan.planned[0].digest).unlink()
    plan = plan_pack(ctx, store=store)
    assert plan.planned[0].unchanged is False


def test_files_modified_within_the_racy_window_are_not_cached(
    tmp_path: Path, store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stat cache's clock is the test's: files written "now" are racily clean and never cached
    # (their content could still change within the same timestamp tick); once the clock has moved past
    # the window, the same files are cached and a re-pack reuses their layers.
    ctx = make_context(tmp_path)
    clock = {"now": time.time_ns()}
    monkeypatch.setattr(statcache, "now_ns", lambda: clock["now"])
    pack(ctx, tags=["demo:v1"], store=store)
    assert not any(p.unchanged for p in plan_pack(ctx, store=store).planned)
    clock["now"] += AGE_NS
    pack(ctx, tags=["demo:v2"], store=store)
    assert all(p.unchanged for p in plan_pack(ctx, store=store).planned)


_SLOW_PACK = textwrap.dedent(
    """
    import sys, time
    from kitlab.modelkit.pack import pack
    from kitlab.modelkit.store import LocalStore
    def stall(event):
        if event.done > 0:
            print("READY", flush=True)
            time.sleep(60)
    pack(sys.argv[1], tags=[sys.argv[3]], store=LocalStore(sys.argv[2]), progress=stall)
    """
)


def test_sigkill_mid_pack_leaves_a_valid_store(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    keep = pack(ctx, tags=["demo:keep"], store=store)
    big = make_context(tmp_path / "big", files={**FILES, "models/w.bin": os.urandom(2 << 20)})
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_PACK, str(big), str(store.home), "demo:killed"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert os.listdir(store.tmp_dir)  # the killed writer's temp blob is still there …
    kits = store.list_kits()
    assert [k.digest for k in kits] == [keep.manifest_digest]
    with pytest.raises(NotFound):
        store.resolve("demo:killed")
    fresh = LocalStore(store.home)
    again = pack(big, tags=["demo:after"], store=fresh)  # … and the next writer sweeps it
    assert os.listdir(store.tmp_dir) == []
    assert {k.digest for k in fresh.list_kits()} == {keep.manifest_digest, again.manifest_digest}


_PACK_ONE = textwrap.dedent(
    """
    import sys
    from kitlab.modelkit.pack import pack
    from kitlab.modelkit.store import LocalStore
    pack(sys.argv[1], tags=[sys.argv[3]], store=LocalStore(sys.argv[2]))
    """
)


def test_two_processes_pack_into_one_store(tmp_path: Path, store: LocalStore) -> None:
    ctxs = [
        make_context(tmp_path / name, kitfile=KITFILE.replace("name: demo", f"name: {name}"))
        for name in ("one", "two")
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PACK_ONE, str(ctx), str(store.home), f"{name}:v1"], cwd=REPO_ROOT
        )
        for ctx, name in zip(ctxs, ("one", "two"), strict=True)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    kits = store.list_kits()
    assert sorted((k.repo, k.model_name) for k in kits) == [("one", "one"), ("two", "two")]
    root = json.loads((store.storage / "index.json").read_text())
    assert len(root["manifests"]) == 2


def test_unpack_filters(tmp_path: Path, store: LocalStore) -> None:
    pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    cases = {
        "model": ["models/w.bin"],
        "datasets:train": ["data/train.csv"],
        "datasets:data/train.csv": ["data/train.csv"],
        "datasets:./data/train.csv": [],  # exact string match, like kit
        "docs:README.md": ["README.md"],
        "kitfile": ["Kitfile"],
        "code,kitfile": ["Kitfile", "src/a.py", "src/pkg/b.py"],
    }
    for i, (flt, expected) in enumerate(cases.items()):
        out = tmp_path / f"out{i}"
        unpack("demo:v1", out, store=store, filters=[flt])
        assert sorted(tree(out)) == expected, flt
    with pytest.raises(InvalidInput, match="invalid filter type"):
        parse_filter("weights")
    with pytest.raises(InvalidInput, match="format"):
        parse_filter("a:b:c")
    with pytest.raises(InvalidInput, match="tag or digest"):
        unpack("demo", tmp_path / "x", store=store)


def test_unpack_refuses_digest_mismatch(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    manifest = store.get_manifest(store.resolve("demo:v1"))
    config = store.read_blob(manifest.config).replace(res.layers[0].digest.encode(), b"sha256:" + b"0" * 64)
    cdesc = store.put_blob_bytes(config, media_type=manifest.config.media_type)
    store.add_manifest("localhost/demo", build_manifest(cdesc, manifest.layers, "x"), ["bad"])
    with pytest.raises(InvalidInput, match="do not match"):
        unpack("demo:bad", tmp_path / "out", store=store, filters=["model"])


def test_unpack_modelpack_without_kitfile(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    types = {"model": "weight", "code": "code", "dataset": "dataset", "docs": "doc"}
    layers = [
        Descriptor(
            f"application/vnd.cncf.model.{types[layer.kind]}.v1.tar",
            layer.digest,
            layer.size,
            {"org.cncf.model.filepath": layer.path},
        )
        for layer in res.layers
    ]
    cfg = store.put_blob_bytes(b'{"descriptor":{}}', media_type="application/vnd.cncf.model.config.v1+json")
    store.add_manifest("localhost/mp", build_manifest(cfg, layers, "x"), ["v1"])
    (kit,) = [k for k in store.list_kits() if k.repo == "mp"]
    assert kit.format == "modelpack"
    out = tmp_path / "out"
    unpack("mp:v1", out, store=store)
    assert sorted(tree(out)) == sorted([*PACKED, "Kitfile"])


def test_parent_kit_reference(tmp_path: Path, store: LocalStore) -> None:
    parent_ctx = make_context(tmp_path / "p")
    pack(parent_ctx, tags=["base:v1"], store=store)
    child_kitfile = (
        "manifestVersion: 1.0.0\npackage:\n  name: child\nmodel:\n  path: base:v1\ncode:\n  - path: .\n"
    )
    child_ctx = make_context(
        tmp_path / "c", kitfile=child_kitfile, files={"train.py": b"x", "models/w.bin": b"w"}
    )
    res = pack(child_ctx, tags=["child:v1"], store=store)
    assert [layer.kind for layer in res.layers] == ["code"]
    code_files = plan_pack(child_ctx, store=store).planned[0].files
    assert code_files == ["train.py"]  # the parent's model path is excluded, like kit
    config = from_config_json(store.read_blob(store.get_manifest(store.resolve("child:v1")).config))
    assert config.model is not None
    assert config.model.path == "base:v1"
    out = tmp_path / "out"
    result = unpack("child:v1", out, store=store)
    assert result.parents == ["base:v1"]
    assert sorted(tree(out)) == ["Kitfile", "models/w.bin", "train.py"]
    assert (out / "models/w.bin").read_bytes() == FILES["models/w.bin"]
    missing = make_context(
        tmp_path / "m", kitfile=child_kitfile.replace("base:v1", "nowhere:v1"), files={"a": b""}
    )
    with pytest.raises(NotFound, match="not in the local store"):
        pack(missing, store=store)


def _put_kit(store: LocalStore, repo: str, config: dict, layers: list[tuple[str, bytes]], tag: str) -> None:
    cdesc = store.put_blob_bytes(
        json.dumps(config).encode(), media_type="application/vnd.kitops.modelkit.config.v1+json"
    )
    descs = []
    for media_type, data in layers:
        d = store.put_blob_bytes(data)
        descs.append(Descriptor(media_type, d.digest, d.size))
    store.add_manifest(repo, build_manifest(cdesc, descs, "x"), [tag])


def _tar_of(entries: list[tuple[str, bytes | None]]) -> bytes:
    import io

    from kitlab.modelkit.tarwriter import TarWriter

    buf = io.BytesIO()
    writer = TarWriter(buf)
    for name, data in entries:
        if data is None:
            writer.add_dir(name, 0o755)
        else:
            writer.add_file(name, 0o644, len(data), io.BytesIO(data))
    writer.close()
    return buf.getvalue()


def test_unpack_pre_1_0_kit_without_layer_info(tmp_path: Path, store: LocalStore) -> None:
    # Before kit 1.0, tar names were relative to the entry's parent directory and the config had no digests.
    layer = _tar_of([("w.bin", b"old-weights")])
    config = {"manifestVersion": "1.0.0", "package": {"name": "old"}, "model": {"path": "models/w.bin"}}
    _put_kit(store, "localhost/old", config, [("application/vnd.kitops.modelkit.model.v1.tar", layer)], "v1")
    out = tmp_path / "out"
    unpack("old:v1", out, store=store)
    assert (out / "models/w.bin").read_bytes() == b"old-weights"
    bad = {**config, "model": {"path": "../escape/w.bin"}}
    _put_kit(store, "localhost/old", bad, [("application/vnd.kitops.modelkit.model.v1.tar", layer)], "bad")
    with pytest.raises(KitlabError):
        unpack("old:bad", tmp_path / "out2", store=store)
    assert not (tmp_path / "escape").exists()


def test_unpack_refuses_hostile_layer_in_store(tmp_path: Path, store: LocalStore) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("../../evil.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"evil"))
    layer = buf.getvalue()
    config = {
        "package": {"name": "evil"},
        "code": [{"path": ".", "digest": sha256_of(layer), "diffId": sha256_of(layer)}],
    }
    _put_kit(store, "localhost/evil", config, [("application/vnd.kitops.modelkit.code.v1.tar", layer)], "v1")
    with pytest.raises(KitlabError, match="leaves the target"):
        unpack("evil:v1", tmp_path / "a" / "b", store=store)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "a" / "evil.txt").exists()


def test_unpack_crash_cases_are_errors(tmp_path: Path, store: LocalStore) -> None:
    layer = _tar_of([("x", b"1")])
    # a model layer while the config has no model (kit v1.7.0 panics)
    _put_kit(
        store, "localhost/c", {"package": {}}, [("application/vnd.kitops.modelkit.model.v1.tar", layer)], "a"
    )
    with pytest.raises(InvalidInput, match="no model"):
        unpack("c:a", tmp_path / "o1", store=store)
    # more docs layers than docs entries
    docs = [("application/vnd.kitops.modelkit.docs.v1.tar", layer)]
    _put_kit(store, "localhost/c", {"package": {}, "docs": [{"path": "x"}]}, docs * 2, "b")
    with pytest.raises(InvalidInput, match="more docs layers"):
        unpack("c:b", tmp_path / "o2", store=store)


def test_list_reports_broken_kits(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    store.blob_path(res.config_digest).unlink()
    (kit,) = store.list_kits()
    assert kit.digest == res.manifest_digest
    assert kit.tags == ["v1"]
    assert "not found" in kit.error


def test_raw_mcp_bundle_and_prompt_layers_round_trip(tmp_path: Path, store: LocalStore) -> None:
    kitfile = textwrap.dedent(
        """\
        manifestVersion: 1.0.0
        package:
          name: tools
        prompts:
          - path: prompts/system.md
        mcpServers:
          - name: srv
            path: bundles/srv.mcpb
        """
    )
    files = {"prompts/system.md": b"be nice", "bundles/srv.mcpb": b"PK\x03\x04bundle"}
    res = pack(make_context(tmp_path, kitfile=kitfile, files=files), tags=["tools:v1"], store=store)
    assert [layer.media_type for layer in res.layers] == [
        "application/vnd.kitops.modelkit.code.v1.tar",
        "application/vnd.kitops.modelkit.mcpb.v1.raw",
    ]
    assert store.blob_path(res.layers[1].digest).read_bytes() == files["bundles/srv.mcpb"]
    manifest = store.get_manifest(store.resolve("tools:v1"))
    assert manifest.layers[0].annotations == {"ml.kitops.modelkit.layer-subtype": "prompt"}
    out = tmp_path / "out"
    unpack("tools:v1", out, store=store)
    assert sorted(tree(out)) == ["Kitfile", "bundles/srv.mcpb", "prompts/system.md"]
    assert (out / "bundles/srv.mcpb").read_bytes() == files["bundles/srv.mcpb"]


def test_pack_reports_warnings(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    (ctx / "src" / "link").symlink_to("/etc/passwd")
    res = pack(ctx, tags=["demo:v1"], store=store)
    assert any("src/link" in w and "symbolic link" in w for w in res.warnings)
    assert "src/link" not in plan_pack(ctx, store=store).planned[1].files


def test_unpack_modelpack_with_kitfile_annotation(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    kit_manifest = store.get_manifest(store.resolve("demo:v1"))
    config_json = store.read_blob(kit_manifest.config).decode()
    types = {"model": "weight", "code": "code", "dataset": "dataset", "docs": "doc"}
    cfg = store.put_blob_bytes(b'{"descriptor":{}}')
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.cncf.model.config.v1+json",
            "digest": cfg.digest,
            "size": cfg.size,
        },
        "layers": [
            {
                "mediaType": f"application/vnd.cncf.model.{types[x.kind]}.v1.tar",
                "digest": x.digest,
                "size": x.size,
            }
            for x in res.layers
        ],
        "annotations": {"ml.kitops.modelkit.kitfile": config_json},
    }
    store.add_manifest("localhost/mp", json.dumps(manifest).encode(), ["v1"])
    (kit,) = [k for k in store.list_kits() if k.repo == "mp"]
    assert kit.model_name == "demo"
    out_mp, out_kit = tmp_path / "mp", tmp_path / "kit"
    unpack("mp:v1", out_mp, store=store)
    unpack("demo:v1", out_kit, store=store)
    assert tree(out_mp) == tree(out_kit)


def test_unpack_cancel_leaves_no_partial_files(tmp_path: Path, store: LocalStore) -> None:
    files = {**FILES, "models/w.bin": os.urandom(3 << 20)}
    pack(make_context(tmp_path, files=files), tags=["demo:v1"], store=store)
    token = CancelToken()

    def cancel_midway(event: ProgressEvent) -> None:
        if 0 < event.done < event.total:
            token.cancel()

    out = tmp_path / "out"
    with pytest.raises(Cancelled):
        unpack("demo:v1", out, store=store, progress=cancel_midway, cancel=token)
    assert not [p for p in out.rglob("*") if ".kitlab-partial-" in p.name]
    assert not (out / "models/w.bin").exists()


def test_unpack_refuses_kitfile_symlink(tmp_path: Path, store: LocalStore) -> None:
    pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / "Kitfile").symlink_to(victim)
    with pytest.raises(Conflict, match="not a regular file"):
        unpack("demo:v1", out, store=store, overwrite=True)
    assert victim.read_text() == "keep"


def test_unpack_detects_a_corrupted_blob(tmp_path: Path, store: LocalStore) -> None:
    res = pack(make_context(tmp_path), tags=["demo:v1"], store=store)
    blob = store.blob_path(res.layers[0].digest)
    data = bytearray(blob.read_bytes())
    data[600] ^= 0xFF  # inside the file data of the model layer
    blob.chmod(0o600)
    blob.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="corrupt"):
        unpack("demo:v1", tmp_path / "out", store=store, filters=["model"])


def test_pack_refuses_invalid_extra_tags_before_writing(tmp_path: Path, store: LocalStore) -> None:
    with pytest.raises(InvalidInput, match="invalid tag"):
        pack(make_context(tmp_path), tags=["demo:v1,bad tag"], store=store)
    assert not store.home.exists()


def test_kitfile_from_path_or_text(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)
    (ctx / "Kitfile").rename(ctx / "other.yaml")
    with pytest.raises(NotFound, match="no Kitfile"):
        pack(ctx, store=store)
    # a relative kitfile_path is resolved against the context, like kit's -f
    by_path = pack(ctx, kitfile_path="other.yaml", store=store, cli_version="1.7.0")
    by_text = pack(ctx, kitfile_text=KITFILE, store=store, cli_version="1.7.0")
    # no layer path covers other.yaml, so it is not packed: both give the same kit
    assert by_path.manifest_digest == by_text.manifest_digest
    with pytest.raises(KitlabError, match="kitfile text"):
        pack(ctx, kitfile_text="package: [", store=store)


def test_file_changing_during_pack_fails_cleanly(tmp_path: Path, store: LocalStore) -> None:
    ctx = make_context(tmp_path)

    def shrink_dataset(event: ProgressEvent) -> None:
        if event.index == 0:  # while the model layer is written, the dataset file shrinks
            (ctx / "data/train.csv").write_bytes(b"x")

    with pytest.raises(KitlabError, match=r"train\.csv"):
        pack(ctx, tags=["demo:v1"], store=store, progress=shrink_dataset)
    _assert_store_untouched(store)
