"""Local store: kit's exact layout and JSON shapes, locking across real processes, GC, temp hygiene."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kitlab.errors import InvalidInput, NotFound
from kitlab.modelkit.manifest import Descriptor, build_manifest, parse_manifest
from kitlab.modelkit.store import BlobCorrupt, LocalStore, decode_repo, encode_repo
from tests.support.wire import sha256_of

CONFIG_MT = "application/vnd.kitops.modelkit.config.v1+json"
MANIFEST_MT = "application/vnd.oci.image.manifest.v1+json"
LAYER_MT = "application/vnd.kitops.modelkit.model.v1.tar"


def _kit(store: LocalStore, name: str, layer_data: bytes = b"layer-bytes") -> bytes:
    """Put a config + one layer blob and return manifest bytes referencing them."""
    config = json.dumps({"manifestVersion": "1.0.0", "package": {"name": name, "authors": ["ann", "bob"]}})
    cdesc = store.put_blob_bytes(config.encode(), media_type=CONFIG_MT)
    ldesc = store.put_blob_bytes(layer_data, media_type=LAYER_MT)
    return build_manifest(cdesc, [ldesc], "1.7.0")


def test_home_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.delenv("KITOPS_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert LocalStore().storage == tmp_path / "h/.local/share/kitops/storage"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "x"))
    assert LocalStore().storage == tmp_path / "x/kitops/storage"
    monkeypatch.setenv("KITOPS_HOME", str(tmp_path / "k"))
    assert LocalStore().storage == tmp_path / "k/storage"
    assert LocalStore(tmp_path / "e").storage == tmp_path / "e/storage"


def test_repo_name_encoding() -> None:
    assert encode_repo("localhost/mymodel") == "bG9jYWxob3N0L215bW9kZWw="
    assert decode_repo("bG9jYWxob3N0L215bW9kZWw=") == "localhost/mymodel"
    # URL alphabet: '-' and '_' instead of '+' and '/'
    assert "/" not in encode_repo("localhost/a?>~")
    assert "+" not in encode_repo("localhost/a?>~")


def test_manifest_bytes_exact() -> None:
    cfg = Descriptor(CONFIG_MT, "sha256:" + "a" * 64, 12)
    layer = Descriptor(LAYER_MT, "sha256:" + "b" * 64, 1024)
    assert build_manifest(cfg, [], "1.7.0") == (
        b'{"schemaVersion":2,"config":{"mediaType":"application/vnd.kitops.modelkit.config.v1+json",'
        b'"digest":"sha256:' + b"a" * 64 + b'","size":12},"layers":null,'
        b'"annotations":{"ml.kitops.modelkit.cli-version":"1.7.0"}}'
    )
    data = build_manifest(
        cfg,
        [layer],
        "1.7.0",
        {"org.opencontainers.image.source": "https://x/<y>", "org.opencontainers.image.title": ""},
    )
    assert data.endswith(
        b'"layers":[{"mediaType":"application/vnd.kitops.modelkit.model.v1.tar","digest":"sha256:'
        + b"b" * 64
        + b'","size":1024}],"annotations":{"ml.kitops.modelkit.cli-version":"1.7.0",'
        b'"org.opencontainers.image.source":"https://x/\\u003cy\\u003e"}}'
    )
    parsed = parse_manifest(data)
    assert parsed.format == "kit"
    assert parsed.layers == [layer]
    assert parsed.config == cfg
    with pytest.raises(InvalidInput):
        build_manifest(cfg, [], "1", {"com.example.evil": "x"})


def test_parse_modelpack_and_foreign_manifests() -> None:
    mp = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MT,
        "artifactType": "application/vnd.cncf.model.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.cncf.model.config.v1+json",
            "digest": sha256_of(b"c"),
            "size": 1,
        },
        "layers": [],
    }
    assert parse_manifest(json.dumps(mp).encode()).format == "modelpack"
    foreign = {
        **mp,
        "artifactType": "",
        "config": {**mp["config"], "mediaType": "application/vnd.oci.image.config.v1+json"},
    }
    with pytest.raises(InvalidInput, match="not a ModelKit"):
        parse_manifest(json.dumps(foreign).encode())


def test_store_layout_bytes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    manifest = _kit(store, "demo")
    desc = store.add_manifest("localhost/mymodel", manifest, ["v2", "v1", "a"])
    s = tmp_path / "storage"
    assert (s / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'
    dj = f'{{"mediaType":"{MANIFEST_MT}","digest":"{desc.digest}","size":{len(manifest)}}}'
    assert desc.digest == sha256_of(manifest)
    assert (s / "index.json").read_text() == (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' + dj + "]}"
    )
    assert (
        s / "bG9jYWxob3N0L215bW9kZWw=-index.json"
    ).read_text() == '{"schemaVersion":2,"manifests":[' + dj + "]}"
    assert (s / "bG9jYWxob3N0L215bW9kZWw=-tags.json").read_text() == f'{{"a":{dj},"v1":{dj},"v2":{dj}}}'
    assert (s / "blobs/sha256" / desc.digest.removeprefix("sha256:")).read_bytes() == manifest
    # Nothing named index.json below storage/ except the root one (kit would "migrate" and delete it).
    assert [p for p in s.rglob("index.json")] == [s / "index.json"]
    assert os.listdir(s / ".kitlab-tmp") == []
    # Re-adding is idempotent; a tag moves to the new manifest, the old one stays listed untagged.
    store.add_manifest("localhost/mymodel", manifest, ["v1"])
    other = store.add_manifest("localhost/mymodel", _kit(store, "demo2"), ["v1"])
    idx = json.loads((s / "bG9jYWxob3N0L215bW9kZWw=-index.json").read_text())
    assert [m["digest"] for m in idx["manifests"]] == [desc.digest, other.digest]
    assert store.resolve("mymodel:v1").digest == other.digest
    assert store.resolve("mymodel:v2").digest == desc.digest
    assert store.resolve(f"mymodel@{desc.digest}") == desc
    with pytest.raises(NotFound):
        store.resolve("mymodel:nope")
    with pytest.raises(NotFound):
        store.resolve(f"other@{desc.digest}")


def test_list_kits_like_kit(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    m1 = store.add_manifest("localhost/mymodel", _kit(store, "demo", b"x" * 100), ["v1"])
    m2 = store.add_manifest("localhost/_", _kit(store, "untagged", b"y" * 7), [])
    m3 = store.add_manifest("jozu.ml/org/repo", _kit(store, "remote", b"z" * 3), ["latest", "b"])
    kits = {k.digest: k for k in store.list_kits()}
    assert kits[m1.digest].repo == "mymodel"
    assert kits[m1.digest].tags == ["v1"]
    assert kits[m1.digest].model_name == "demo"
    assert kits[m1.digest].author == "ann"
    assert kits[m1.digest].size == 100  # kit's SIZE: layers only
    assert kits[m2.digest].repo == "<none>"
    assert kits[m2.digest].tags == []
    assert kits[m3.digest].repo == "jozu.ml/org/repo"
    assert kits[m3.digest].tags == ["b", "latest"]
    assert [k.repo for k in store.list_kits()] == sorted(k.repo for k in store.list_kits())


def test_list_skips_non_modelkits(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.add_manifest("localhost/mymodel", _kit(store, "demo"), ["v1"])
    foreign_cfg = store.put_blob_bytes(b"{}", media_type="application/vnd.oci.image.config.v1+json")
    foreign = build_manifest(foreign_cfg, [], "x")
    with pytest.raises(InvalidInput):
        store.add_manifest("localhost/foreign", foreign, ["v1"])
    assert len(store.list_kits()) == 1


def test_tag_and_remove_with_gc(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    shared = b"shared-layer"
    a = store.add_manifest("localhost/a", _kit(store, "a", shared), ["v1", "v2"])
    b = store.add_manifest("localhost/b", _kit(store, "b", shared), ["v1"])
    store.tag("a:v1", "c:copy")
    assert store.resolve("c:copy") == a
    listing_a = sorted(k.repo_key for k in store.list_kits() if k.digest == a.digest)
    assert listing_a == ["localhost/a", "localhost/c"]

    store.remove("a:v1")  # other tag remains → untag only
    assert store.tags_for("localhost/a", a.digest) == ["v2"]
    store.remove("a:v2")  # last tag → manifest leaves repo a, but repo c still lists it: no GC
    assert not store.repo_index_path("localhost/a").exists()
    assert not store.repo_tags_path("localhost/a").exists()
    assert store.has_blob(a.digest)
    store.remove("c:copy")
    assert not store.has_blob(a.digest)  # manifest collected
    assert store.has_blob(sha256_of(shared))  # still used by b
    root = json.loads((tmp_path / "storage/index.json").read_text())
    assert [m["digest"] for m in root["manifests"]] == [b.digest]
    store.remove(f"b@{b.digest}")
    assert not store.has_blob(sha256_of(shared))
    assert store.list_kits() == []
    with pytest.raises(NotFound):
        store.remove("b:v1")


def test_remove_force_and_extra_tags(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    a = store.add_manifest("localhost/a", _kit(store, "a"), ["v1", "v2", "v3"])
    store.remove("a:v1,v2")
    assert store.tags_for("localhost/a", a.digest) == ["v3"]
    store.add_manifest("localhost/a", _kit(store, "a"), ["v4"])
    store.remove("a:v3", force=True)
    assert store.list_kits() == []


def test_blob_writer_abort_and_verify(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)

    def write_then_fail() -> None:
        with store.blob_writer() as w:
            w.write(b"partial")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert os.listdir(store.tmp_dir) == []
    with pytest.raises(BlobCorrupt):
        store.put_blob_stream([b"abc"], expected_digest=sha256_of(b"abd"))
    assert not store.has_blob(sha256_of(b"abc"))
    assert os.listdir(store.tmp_dir) == []
    d = store.put_blob_stream([b"a", b"bc"], expected_digest=sha256_of(b"abc"), expected_size=3)
    assert d.digest == sha256_of(b"abc")
    assert store.blob_path(d.digest).read_bytes() == b"abc"
    assert store.blob_path(d.digest).stat().st_mode & 0o777 == 0o600


def test_blob_writer_large_chunks_hash_exactly_and_abort_cleanly(tmp_path: Path) -> None:
    """Chunks of 1 MiB and more are hashed on a helper thread while written, and writeback starts
    every 64 MiB: the digest and the bytes must still be exact, in order, and an abort mid-way must
    leave no temp file and no helper thread behind."""
    import threading

    store = LocalStore(tmp_path)
    rng = random.Random(7)
    # Mixed sizes, crossing the 1 MiB overlap threshold and two 64 MiB writeback windows.
    chunks = [rng.randbytes(n) for n in (5, 3 << 20, 1 << 20, 999, 40 << 20, 30 << 20, 17, 2 << 20)]
    expected = hashlib.sha256(b"".join(chunks)).hexdigest()
    # One reused buffer, as the tar writer does: a write must be fully hashed before it returns.
    buffer = bytearray(max(map(len, chunks)))
    with store.blob_writer() as w:
        for chunk in chunks:
            buffer[: len(chunk)] = chunk
            w.write(memoryview(buffer)[: len(chunk)])
    assert w.digest == f"sha256:{expected}"
    with open(store.blob_path(w.digest), "rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == expected

    def write_then_fail() -> None:
        with store.blob_writer() as w:
            w.write(rng.randbytes(80 << 20))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert os.listdir(store.tmp_dir) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("kitlab-hash")]


def test_stale_temp_of_dead_process_is_swept(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.ensure_layout()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = store.tmp_dir / f"blob-{dead.stdout.strip()}-deadbeef"
    stale.write_bytes(b"junk")
    mine = store.tmp_dir / f"blob-{os.getpid()}-cafe"
    mine.write_bytes(b"live")
    LocalStore(tmp_path).put_blob_bytes(b"x")
    assert not stale.exists()
    assert mine.exists()
    mine.unlink()


_HAMMER = textwrap.dedent(
    """
    import json, sys
    from kitlab.modelkit.manifest import build_manifest
    from kitlab.modelkit.store import LocalStore
    store = LocalStore(sys.argv[1])
    who = sys.argv[2]
    for i in range(25):
        cfg = json.dumps({"package": {"name": f"{who}-{i}"}}).encode()
        c = store.put_blob_bytes(cfg, media_type="application/vnd.kitops.modelkit.config.v1+json")
        store.add_manifest("localhost/shared", build_manifest(c, [], "1"), [f"{who}-{i}"])
        store.add_manifest(f"localhost/{who}", build_manifest(c, [], "1"), [f"t{i}"])
    """
)


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _HAMMER, str(tmp_path), who], cwd=Path(__file__).parents[2])
        for who in ("p", "q", "r")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    store = LocalStore(tmp_path)
    tags = json.loads(store.repo_tags_path("localhost/shared").read_text())
    assert len(tags) == 75
    assert len(store.manifests_in("localhost/shared")) == 75
    root = json.loads((tmp_path / "storage/index.json").read_text())
    assert len(root["manifests"]) == 75
    assert len(store.list_kits()) == 150
    assert base64.urlsafe_b64encode(b"localhost/p").decode() + "-index.json" in os.listdir(
        tmp_path / "storage"
    )


def test_sigkill_during_index_updates_leaves_parseable_files(tmp_path: Path) -> None:
    """Kill writers at arbitrary moments: every index/tags file must still parse and list_kits work."""
    script = _HAMMER.replace("range(25)", "range(10_000)")
    for delay in (0.15, 0.3, 0.45):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), f"k{int(delay * 100)}"],
            cwd=Path(__file__).parents[2],
        )
        deadline = time.monotonic() + 20
        while not (tmp_path / "storage" / "index.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        storage = tmp_path / "storage"
        for name in os.listdir(storage):
            if name.endswith(".json"):
                json.loads((storage / name).read_text())
        store = LocalStore(tmp_path)
        kits = store.list_kits()
        assert all(not k.error for k in kits)
        assert kits  # the killed writer had committed some kits before dying
        # oras loads every manifest the root index names at kit start-up: all must exist
        for m in json.loads((storage / "index.json").read_text())["manifests"]:
            assert store.has_blob(m["digest"])
    leftovers = [n for n in os.listdir(tmp_path / "storage") if n.endswith(".tmp")]
    assert all(n.startswith(".") for n in leftovers)  # at most hidden temp files, never a fake index


def test_remove_all_untagged_then_everything(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    tagged = store.add_manifest("localhost/a", _kit(store, "a", b"1"), ["v1"])
    store.add_manifest("localhost/_", _kit(store, "u", b"2"), [])
    store.add_manifest("localhost/a", _kit(store, "a-old", b"3"), [])
    removed = store.remove_all()
    assert len(removed) == 2
    assert [k.digest for k in store.list_kits()] == [tagged.digest]
    store.remove_all(include_tagged=True)
    assert store.list_kits() == []
    assert os.listdir(store.blobs_dir) == []
