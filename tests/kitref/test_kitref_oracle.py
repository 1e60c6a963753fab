"""kitref (tools/kitref) behaves like kit v1.7.0 as docs/kit-format.md describes it.

Every test packs a real directory tree into a temp KITOPS_HOME and checks the store, the blobs and the
unpacked files byte for byte; skopeo reads the store as an independent OCI implementation.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

KITFILE = """\
manifestVersion: 1.0.0
package:
  name: iris-demo
  version: 1.0
  description: Iris classifier
  authors: [Ada Lovelace, Grace Hopper]
model:
  name: iris
  path: models
  framework: scikit-learn
  parameters:
    lr: 1.2e+3
    mask: 0xFF
    flag: yes
    b: 1
    a: "x<y"
code:
  - path: .
    description: scripts
datasets:
  - name: train
    path: data
docs:
  - path: docs/
"""

KITIGNORE = """\
# editor and notebook noise
.ipynb_checkpoints
**/*.key
"""

# Files that must survive pack + unpack, with their modes.
PACKED_FILES = {
    "models/weights.bin": (bytes(range(256)) * 64, 0o644),
    "models/config.json": (b'{"classes": 3}\n', 0o644),
    "data/train.csv": (b"a,b\n1,2\n", 0o644),
    "data/valid.csv": (b"a,b\n3,4\n", 0o644),
    "src/train.py": (b"print('train')\n", 0o755),
    "src/utils.py": (b"X = 1\n", 0o644),
    "docs/README.md": (b"# Iris\n", 0o644),
    "README.md": (b"top-level readme\n", 0o644),
}

# Files kit v1.7.0 leaves out, and why.
DROPPED_FILES = {
    "src/secret.key": b"ignored by **/*.key\n",
    ".ipynb_checkpoints/train-checkpoint.ipynb": b"{}\n",
    "models/model..bin": b"'..' in the name fails kit's same-tree test\n",
    "database.csv": b"starts with the 'data' layer path, so '.' drops it\n",
}

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.kitops.modelkit.config.v1+json"


def make_context(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "Kitfile").write_text(KITFILE)
    (root / ".kitignore").write_text(KITIGNORE)
    for rel, (data, mode) in PACKED_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    for rel, data in DROPPED_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for directory in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        directory.chmod(0o755)
    return root


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def blob(home: Path, digest: str) -> Path:
    algo, hexpart = digest.split(":")
    return home / "storage" / "blobs" / algo / hexpart


def repo_file(home: Path, repo: str, suffix: str) -> Path:
    return home / "storage" / (base64.urlsafe_b64encode(repo.encode()).decode() + suffix)


def tar_names(path: Path) -> list[str]:
    with tarfile.open(path) as tf:
        return tf.getnames()


def pack(kitref, ctx: Path, *extra: str) -> str:
    out = kitref("pack", str(ctx), *extra).stdout
    last = out.strip().splitlines()[-1]
    assert last.startswith("Model saved: sha256:"), out
    return last.removeprefix("Model saved: ")


def inspect(kitref, ref: str) -> dict:
    return json.loads(kitref("inspect", ref).stdout)


@pytest.fixture
def packed(kitref, tmp_path: Path) -> tuple[Path, str]:
    ctx = make_context(tmp_path / "ctx")
    return ctx, pack(kitref, ctx, "-t", "iris:v1,stable")


def test_version_comes_from_build_flag(kitref):
    assert kitref("version").stdout.splitlines()[0] == "Version: 1.7.0"


def test_list_json_shows_packed_modelkit(kitref, packed):
    _, digest = packed
    listing = json.loads(kitref("list", "--format", "json").stdout)
    assert listing == [
        {
            "repo": "iris",
            "digest": digest,
            "tags": ["stable", "v1"],
            "modelName": "iris-demo",
            "size": listing[0]["size"],
            "author": "Ada Lovelace",
        }
    ]
    table = kitref("list").stdout.splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG", "MAINTAINER", "NAME", "SIZE", "DIGEST"]
    assert [line.split()[1] for line in table[1:]] == ["stable", "v1"]


def test_manifest_matches_blobs_in_store(kitref, kit_home, packed):
    _, digest = packed
    info = inspect(kitref, "iris:v1")
    manifest = info["manifest"]
    assert info["digest"] == digest
    assert info["cliVersion"] == "1.7.0"
    assert sha256_file(blob(kit_home, digest)) == digest

    raw_manifest = blob(kit_home, digest).read_bytes()
    # Go json.Marshal of ocispec.Manifest: compact, fixed key order, no mediaType/artifactType.
    assert raw_manifest.startswith(b'{"schemaVersion":2,"config":{"mediaType":"' + CONFIG_TYPE.encode())
    assert raw_manifest.endswith(b'"annotations":{"ml.kitops.modelkit.cli-version":"1.7.0"}}')
    assert json.loads(raw_manifest) == manifest

    assert manifest["config"]["mediaType"] == CONFIG_TYPE
    config_path = blob(kit_home, manifest["config"]["digest"])
    assert sha256_file(config_path) == manifest["config"]["digest"]
    assert config_path.stat().st_size == manifest["config"]["size"]
    assert [layer["mediaType"] for layer in manifest["layers"]] == [
        f"application/vnd.kitops.modelkit.{base}.v1.tar" for base in ("model", "code", "dataset", "docs")
    ]
    for layer in manifest["layers"]:
        path = blob(kit_home, layer["digest"])
        assert sha256_file(path) == layer["digest"]
        assert path.stat().st_size == layer["size"]

    config = json.loads(config_path.read_bytes())
    assert config == info["kitfile"]
    entries = [config["model"], *config["code"], *config["datasets"], *config["docs"]]
    assert [e["digest"] for e in entries] == [layer["digest"] for layer in manifest["layers"]]
    assert all(e["diffId"] == e["digest"] for e in entries)  # no compression


def test_config_json_uses_go_encoding(kitref, kit_home, packed):
    manifest = inspect(kitref, "iris:v1")["manifest"]
    raw = blob(kit_home, manifest["config"]["digest"]).read_bytes()
    assert raw.startswith(b'{"manifestVersion":"1.0.0","package":{"name":"iris-demo","version":"1.0",')
    # yaml.v3 typing + Go JSON: hex and exponent become decimals, "yes" stays a string, keys sorted,
    # '<' is HTML-escaped.
    assert b'"parameters":{"a":"x\\u003cy","b":1,"flag":"yes","lr":1200,"mask":255}' in raw
    assert not raw.endswith(b"\n")


def test_layer_contents_follow_kit_walk_and_ignores(kitref, kit_home, packed):
    layers = inspect(kitref, "iris:v1")["manifest"]["layers"]
    names = [tar_names(blob(kit_home, layer["digest"])) for layer in layers]
    assert names == [
        ["models", "models/config.json", "models/weights.bin"],
        ["README.md", "src", "src/train.py", "src/utils.py"],
        ["data", "data/train.csv", "data/valid.csv"],
        ["docs", "docs/README.md"],
    ]
    everything = {n for layer in names for n in layer}
    assert not everything & set(DROPPED_FILES)
    assert not everything & {"Kitfile", ".kitignore"}


def test_tar_headers_are_sanitised_ustar(kitref, kit_home, packed):
    layer = inspect(kitref, "iris:v1")["manifest"]["layers"][1]  # code layer, has a 0755 file
    raw = blob(kit_home, layer["digest"]).read_bytes()
    offset, seen = 0, {}
    while raw[offset : offset + 512] != bytes(512):
        header = raw[offset : offset + 512]
        name = header[:100].rstrip(b"\0").decode()
        size = int(header[124:136].rstrip(b"\0"), 8)
        assert header[136:148] == b"00000000000\0"  # mtime 0
        assert header[108:116] == b"0001750\0"  # uid 1000
        assert header[116:124] == b"0000000\0"  # gid 0
        assert header[265:329] == bytes(64)  # no uname/gname
        assert header[257:265] == b"ustar\x0000"
        assert not name.endswith("/")
        seen[name] = (header[156:157], header[100:108])
        offset += 512 + (size + 511) // 512 * 512
    # Exactly two zero blocks end the archive: no 10240-byte record padding.
    assert len(raw) == offset + 1024
    assert raw[offset:] == bytes(1024)
    assert seen["src"] == (b"5", b"0000755\0")
    assert seen["src/train.py"] == (b"0", b"0000755\0")
    assert seen["src/utils.py"] == (b"0", b"0000644\0")


def test_unpack_reproduces_files_byte_for_byte(kitref, packed, tmp_path):
    out = tmp_path / "out"
    kitref("unpack", "iris:v1", "-d", str(out))
    unpacked = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert unpacked == {*PACKED_FILES, "Kitfile"}
    for rel, (data, mode) in PACKED_FILES.items():
        assert (out / rel).read_bytes() == data
        assert (out / rel).stat().st_mode & 0o777 == mode & ~current_umask()
    # The unpacked Kitfile is the config re-serialised as YAML, not the original bytes.
    kitfile = (out / "Kitfile").read_text()
    assert 'version: "1.0"' in kitfile
    assert "mask: 255" in kitfile
    assert "digest" not in kitfile


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_unpack_refuses_to_overwrite_without_flag(kitref, packed, tmp_path):
    out = tmp_path / "out"
    kitref("unpack", "iris:v1", "-d", str(out))
    (out / "src" / "utils.py").write_bytes(b"changed\n")
    again = kitref("unpack", "iris:v1", "-d", str(out), check=False)
    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert (out / "src" / "utils.py").read_bytes() == b"changed\n"

    kitref("unpack", "iris:v1", "-d", str(out), "-i")
    assert (out / "src" / "utils.py").read_bytes() == b"changed\n"
    kitref("unpack", "iris:v1", "-d", str(out), "-o")
    assert (out / "src" / "utils.py").read_bytes() == b"X = 1\n"


def test_unpack_filters(kitref, packed, tmp_path):
    out = tmp_path / "out"
    kitref("unpack", "iris:v1", "-d", str(out), "-f", "datasets:train", "-f", "docs:docs/")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["data/train.csv", "data/valid.csv", "docs/README.md"]
    # Filter ids are compared as exact strings: "docs" does not match the entry path "docs/".
    out2 = tmp_path / "out2"
    kitref("unpack", "iris:v1", "-d", str(out2), "-f", "docs:docs", "-f", "kitfile")
    assert sorted(p.name for p in out2.iterdir()) == ["Kitfile"]


def test_unpack_by_digest_and_untagged_reference_rejected(kitref, packed, tmp_path):
    ctx, digest = packed
    kitref("unpack", f"iris@{digest}", "-d", str(tmp_path / "bydigest"))
    assert (tmp_path / "bydigest" / "models" / "weights.bin").exists()
    # v1.7.0 has no implicit "latest": a bare repository cannot be unpacked ...
    untagged = kitref("unpack", "iris", "-d", str(tmp_path / "x"), check=False)
    assert untagged.returncode != 0
    assert "requires a tag or digest" in untagged.stderr
    # ... unless --default-latest opts into the kit >= 1.8 behaviour, for pack and unpack alike.
    assert pack(kitref, ctx, "-t", "iris", "--default-latest") == digest
    assert json.loads(kitref("list", "--format", "json").stdout)[0]["tags"] == ["latest", "stable", "v1"]
    kitref("unpack", "iris", "--default-latest", "-d", str(tmp_path / "latest"))
    assert (tmp_path / "latest" / "models" / "weights.bin").exists()


def test_store_layout_matches_kit(kitref, kit_home, packed):
    _, digest = packed
    storage = kit_home / "storage"
    assert json.loads((storage / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    desc = {"mediaType": MANIFEST_TYPE, "digest": digest, "size": blob(kit_home, digest).stat().st_size}
    root_index = json.loads((storage / "index.json").read_text())
    assert root_index["manifests"] == [desc]
    index_path = repo_file(kit_home, "localhost/iris", "-index.json")
    assert index_path.name == "bG9jYWxob3N0L2lyaXM=-index.json"
    compact = json.dumps({"schemaVersion": 2, "manifests": [desc]}, separators=(",", ":"))
    assert index_path.read_text() == compact
    tags = json.loads(repo_file(kit_home, "localhost/iris", "-tags.json").read_text())
    assert tags == {"stable": desc, "v1": desc}
    # Nothing may create a nested index.json (kit would "migrate" and delete it).
    assert [p for p in storage.rglob("index.json")] == [storage / "index.json"]


def test_pack_without_tag_is_untagged_in_default_repo(kitref, kit_home, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    digest = pack(kitref, ctx)
    assert repo_file(kit_home, "localhost/_", "-index.json").exists()
    assert not repo_file(kit_home, "localhost/_", "-tags.json").exists()
    listing = json.loads(kitref("list", "--format", "json").stdout)
    assert [(e["repo"], e["tags"], e["digest"]) for e in listing] == [("<none>", None, digest)]
    assert "<none>" in kitref("list").stdout.splitlines()[1].split()[1]


def test_repack_is_reproducible(kitref, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    first = pack(kitref, ctx, "-t", "iris:a")
    for path in ctx.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000), follow_symlinks=False)
    assert pack(kitref, ctx, "-t", "iris:b") == first


def test_file_mode_changes_layer_digest(kitref, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    first = pack(kitref, ctx, "-t", "iris:a")
    (ctx / "src" / "utils.py").chmod(0o600)
    assert pack(kitref, ctx, "-t", "iris:b") != first


def test_gzip_layers_record_uncompressed_diff_id(kitref, kit_home, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    pack(kitref, ctx, "-t", "iris:gz", "--compression", "gzip")
    info = inspect(kitref, "iris:gz")
    layer = info["manifest"]["layers"][0]
    assert layer["mediaType"] == "application/vnd.kitops.modelkit.model.v1.tar+gzip"
    data = blob(kit_home, layer["digest"]).read_bytes()
    assert data[:10] == bytes.fromhex("1f8b08000000000000ff")
    assert info["kitfile"]["model"]["diffId"] == "sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest()
    out = tmp_path / "out"
    kitref("unpack", "iris:gz", "-d", str(out))
    assert (out / "models" / "weights.bin").read_bytes() == PACKED_FILES["models/weights.bin"][0]


def test_invalid_kitfiles_are_rejected(kitref, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    (ctx / "Kitfile").write_text(KITFILE + "extra: 1\n")
    unknown = kitref("pack", str(ctx), check=False)
    assert unknown.returncode != 0
    assert "field extra not found" in unknown.stderr
    (ctx / "Kitfile").write_text(KITFILE.replace("path: docs/", "path: data"))
    duplicate = kitref("pack", str(ctx), check=False)
    assert duplicate.returncode != 0
    assert "use the same path data" in duplicate.stderr
    (ctx / "Kitfile").write_text(KITFILE.replace("path: docs/", "path: /etc"))
    absolute = kitref("pack", str(ctx), check=False)
    assert "absolute paths are not supported" in absolute.stderr


def test_remove_untags_then_deletes_and_collects_blobs(kitref, kit_home, packed):
    _, digest = packed
    kitref("remove", "iris:stable")
    assert json.loads(kitref("list", "--format", "json").stdout)[0]["tags"] == ["v1"]
    layers = inspect(kitref, "iris:v1")["manifest"]["layers"]
    kitref("remove", "iris:v1")
    assert json.loads(kitref("list", "--format", "json").stdout) == []
    assert not blob(kit_home, digest).exists()
    assert not any(blob(kit_home, layer["digest"]).exists() for layer in layers)
    assert not repo_file(kit_home, "localhost/iris", "-index.json").exists()


def test_tag_into_another_repository(kitref, packed):
    _, digest = packed
    kitref("tag", "iris:v1", "myorg/iris:prod")
    listing = json.loads(kitref("list", "--format", "json").stdout)
    assert [(e["repo"], e["tags"], e["digest"]) for e in listing] == [
        ("iris", ["stable", "v1"], digest),
        ("myorg/iris", ["prod"], digest),
    ]


def test_skopeo_reads_the_store_as_an_oci_layout(kitref, kit_home, packed, tmp_path):
    _, digest = packed
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        pytest.fail("skopeo is required (Debian package skopeo)")
    storage = kit_home / "storage"
    raw = subprocess.run(
        [skopeo, "inspect", "--raw", f"oci:{storage}"], capture_output=True, check=True
    ).stdout
    assert raw == blob(kit_home, digest).read_bytes()
    # skopeo verifies every blob digest while copying.
    subprocess.run([skopeo, "copy", "--quiet", f"oci:{storage}", f"dir:{tmp_path / 'copy'}"], check=True)
    copied = {p.name for p in (tmp_path / "copy").iterdir()}
    manifest = json.loads(raw)
    expected = {d["digest"].split(":")[1] for d in [manifest["config"], *manifest["layers"]]}
    assert expected <= copied


def test_empty_kitfile_packs_manifest_with_null_layers(kitref, kit_home, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\npackage:\n  name: empty\n")
    digest = pack(kitref, ctx, "-t", "empty:v1")
    raw = blob(kit_home, digest).read_bytes()
    assert b'"layers":null' in raw
    config = blob(kit_home, json.loads(raw)["config"]["digest"]).read_bytes()
    assert config == b'{"manifestVersion":"1.0.0","package":{"name":"empty"}}'
    out = tmp_path / "out"
    kitref("unpack", "empty:v1", "-d", str(out))
    assert [p.name for p in out.iterdir()] == ["Kitfile"]


def test_kitignore_exclusion_keeps_file_but_not_its_directory_entry(kitref, kit_home, tmp_path):
    ctx = tmp_path / "ctx"
    (ctx / "notes").mkdir(parents=True)
    (ctx / "notes" / "keep.md").write_text("keep\n")
    (ctx / "notes" / "drop.md").write_text("drop\n")
    (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\ncode:\n  - path: .\n")
    (ctx / ".kitignore").write_text("notes\n!notes/keep.md\n")
    pack(kitref, ctx, "-t", "notes:v1")
    layer = inspect(kitref, "notes:v1")["manifest"]["layers"][0]
    assert tar_names(blob(kit_home, layer["digest"])) == ["notes/keep.md"]


def test_relative_kitfile_flag_is_resolved_in_context_and_packed(kitref, kit_home, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "train.py").write_text("print(1)\n")
    (ctx / "Kitfile.alt").write_text("manifestVersion: 1.0.0\ncode:\n  - path: .\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # kit chdirs into the context before opening -f, so a relative path is context-relative ...
    kitref("pack", str(ctx), "-f", "Kitfile.alt", "-t", "alt:v1", cwd=elsewhere)
    layer = inspect(kitref, "alt:v1")["manifest"]["layers"][0]
    # ... and only the default Kitfile names are ignored, so Kitfile.alt itself is packed.
    assert tar_names(blob(kit_home, layer["digest"])) == ["Kitfile.alt", "train.py"]


def test_long_and_non_ascii_names_use_go_tar_formats(kitref, kit_home, tmp_path):
    ctx = tmp_path / "ctx"
    long_rel = "data/" + "d" * 60 + "/" + "f" * 60 + ".csv"  # 130 bytes: needs the USTAR prefix field
    (ctx / long_rel).parent.mkdir(parents=True)
    (ctx / long_rel).write_text("long\n")
    (ctx / "data" / "café.csv").write_text("accent\n")  # non-ASCII: Go switches this entry to PAX
    (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\ndatasets:\n  - name: d\n    path: data\n")
    pack(kitref, ctx, "-t", "names:v1")
    layer = inspect(kitref, "names:v1")["manifest"]["layers"][0]
    raw = blob(kit_home, layer["digest"]).read_bytes()
    headers = [raw[i : i + 512] for i in range(0, len(raw) - 1024, 512) if raw[i + 257 : i + 262] == b"ustar"]
    long_header = next(h for h in headers if h[:100].rstrip(b"\0") == b"f" * 60 + b".csv")
    assert long_header[345:500].rstrip(b"\0") == b"data/" + b"d" * 60
    assert b"x" in {h[156:157] for h in headers}  # a PAX extended header precedes café.csv
    out = tmp_path / "out"
    kitref("unpack", "names:v1", "-d", str(out))
    assert (out / long_rel).read_text() == "long\n"
    assert (out / "data" / "café.csv").read_text() == "accent\n"


def test_retagging_moves_tag_and_keeps_old_manifest_untagged(kitref, tmp_path):
    ctx = make_context(tmp_path / "ctx")
    first = pack(kitref, ctx, "-t", "iris:v1")
    (ctx / "src" / "utils.py").write_bytes(b"X = 2\n")
    second = pack(kitref, ctx, "-t", "iris:v1")
    assert first != second
    listing = json.loads(kitref("list", "--format", "json").stdout)
    assert {e["digest"]: e["tags"] for e in listing} == {first: None, second: ["v1"]}
    kitref("tag", "iris:v1", "iris:v2")
    tags = {e["digest"]: e["tags"] for e in json.loads(kitref("list", "--format", "json").stdout)}
    assert tags[second] == ["v1", "v2"]
