"""``pack --use-model-pack``: kitlab writes a CNCF ModelPack (kit >= 1.10's format) whose config the
scanner fills, valid against the model-spec's own JSON schema, and it round-trips through a real registry.

``data/modelpack-config-schema.json`` is ``schema/config-schema.json`` of the public modelpack/model-spec
repository at commit 11571da63d7827151c4cbb79ef7b49f7416153bf, unchanged. kitref (kit v1.7) cannot
read ModelPacks, so the round trip is kitlab's own: pack → push → pull into another store → unpack.
"""

from __future__ import annotations

import json
import struct
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

from kitlab.cli import main
from kitlab.errors import InvalidInput
from kitlab.kitfile import from_config_json
from kitlab.modelkit.modelpack import ModelFacts
from kitlab.modelkit.pack import pack
from kitlab.modelkit.packpush import pack_and_push
from kitlab.modelkit.pull import pull
from kitlab.modelkit.push import push
from kitlab.modelkit.store import LocalStore
from kitlab.modelkit.unpack import unpack
from kitlab.scan.modelfacts import model_facts
from tests.scan_corpus import workspaces
from tests.support.registry import RunningRegistry
from tests.support.workspace import tree
from tests.transfer._helpers import remote_kw

SCHEMA = json.loads((Path(__file__).parent / "data" / "modelpack-config-schema.json").read_text())
KITFILE = """\
manifestVersion: 1.0.0
package:
  name: tiny-net
  version: 1.2.0
  description: A small net
  license: Apache-2.0
  authors: [Ann <ann@example.org>]
model:
  name: net
  path: weights/model.safetensors
  license: MIT
code:
  - path: src
datasets:
  - name: train
    path: data/train.csv
    license: CC-BY-4.0
docs:
  - path: ./README.md
prompts:
  - path: prompts
"""


def _safetensors(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """A real safetensors file: little-endian header length, JSON header, zeroed tensor data."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        size = count * {"F32": 4, "F16": 2, "BF16": 2}[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def _context(root: Path, kitfile: str = KITFILE) -> Path:
    files = {
        # 1000*1200 + 1200 + 300 = 1,201,500 parameters of bfloat16.
        "weights/model.safetensors": _safetensors(
            {"fc.weight": ("BF16", [1000, 1200]), "fc.bias": ("BF16", [1200]), "out": ("BF16", [300])}
        ),
        "src/train.py": b"print('train')\n",
        "data/train.csv": b"x,y\n1,2\n",
        "README.md": b"# tiny net\n",
        "prompts/system.txt": b"You are small.\n",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "Kitfile").write_text(kitfile)
    return root


def _manifest(store: LocalStore, ref: str) -> tuple[dict, dict]:
    desc = store.resolve(ref)
    manifest = json.loads(store.read_blob(desc))
    parsed = store.get_manifest(desc)
    return manifest, json.loads(store.get_config_bytes(parsed))


def test_scanner_facts_of_the_model(tmp_path: Path) -> None:
    ctx = _context(tmp_path / "ctx")
    assert model_facts(ctx) == ModelFacts(format="safetensors", param_size="1.2M", precision="bfloat16")
    # A Kitfile that cannot be read gives no facts (pack reports the Kitfile itself).
    assert model_facts(ctx, kitfile_text="model: [") == ModelFacts()


def test_modelpack_manifest_config_and_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    ctx = _context(tmp_path / "ctx")
    store = LocalStore(tmp_path / "home")
    facts = model_facts(ctx)
    result = pack(ctx, tags=["demo/tiny:mp"], store=store, use_model_pack=True, model_facts=facts)
    manifest, config = _manifest(store, "demo/tiny:mp")

    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["artifactType"] == "application/vnd.cncf.model.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.cncf.model.config.v1+json"
    layers = [(d["mediaType"], d["annotations"]) for d in manifest["layers"]]
    assert layers == [
        (
            "application/vnd.cncf.model.weight.v1.tar",
            {"org.cncf.model.filepath": "weights/model.safetensors"},
        ),
        ("application/vnd.cncf.model.code.v1.tar", {"org.cncf.model.filepath": "src"}),
        ("application/vnd.cncf.model.dataset.v1.tar", {"org.cncf.model.filepath": "data/train.csv"}),
        ("application/vnd.cncf.model.doc.v1.tar", {"org.cncf.model.filepath": "README.md"}),
        (
            "application/vnd.cncf.model.code.v1.tar",
            {"ml.kitops.modelkit.layer-subtype": "prompt", "org.cncf.model.filepath": "prompts"},
        ),
    ]
    # The result describes the layers as the manifest does (not with the classic media types).
    assert [layer.media_type for layer in result.layers] == [d["mediaType"] for d in manifest["layers"]]
    annotations = manifest["annotations"]
    assert annotations["org.opencontainers.image.created"] == "2026-01-01T00:00:00Z"
    assert annotations["ml.kitops.modelkit.cli-version"].startswith("kitlab-")
    # The Kitfile rides in the annotation, with every layer's digest recorded as in a classic config.
    kept = from_config_json(annotations["ml.kitops.modelkit.kitfile"].encode())
    assert kept.model is not None
    assert kept.model.layer is not None
    assert kept.model.layer.digest == manifest["layers"][0]["digest"]
    assert store.get_config(store.get_manifest(store.resolve("demo/tiny:mp"))) == kept

    jsonschema.Draft4Validator(SCHEMA).validate(config)
    assert config["descriptor"] == {
        "createdAt": "2026-01-01T00:00:00Z",
        "authors": ["Ann <ann@example.org>"],
        "name": "tiny-net",
        "version": "1.2.0",
        "licenses": ["Apache-2.0", "CC-BY-4.0", "MIT"],
        "title": "tiny-net",
        "description": "A small net",
    }
    assert config["config"] == {"format": "safetensors", "paramSize": "1.2M", "precision": "bfloat16"}
    assert config["modelfs"] == {"type": "layers", "diffIds": [d["digest"] for d in manifest["layers"]]}
    datetime.fromisoformat(config["descriptor"]["createdAt"].replace("Z", "+00:00"))

    # The local store lists it as a ModelPack with the Kitfile's metadata.
    [kit] = store.list_kits()
    assert (kit.format, kit.model_name, kit.digest) == ("modelpack", "tiny-net", result.manifest_digest)
    assert kit.created == "2026-01-01T00:00:00Z"
    # SOURCE_DATE_EPOCH makes it reproducible: the same tree packs to the same digest.
    again = pack(ctx, tags=["demo/tiny:mp2"], store=store, use_model_pack=True, model_facts=facts)
    assert again.manifest_digest == result.manifest_digest


def test_kitfile_format_wins_and_parameters_fill_the_rest(tmp_path: Path) -> None:
    kitfile = KITFILE.replace(
        "  license: MIT\n",
        "  license: MIT\n  format: pytorch\n  parameters:\n    quantization: gptq\n    architecture: mlp\n",
    )
    ctx = _context(tmp_path / "ctx", kitfile)
    store = LocalStore(tmp_path / "home")
    pack(ctx, tags=["demo/tiny:f"], store=store, use_model_pack=True, model_facts=model_facts(ctx))
    _manifest_json, config = _manifest(store, "demo/tiny:f")
    jsonschema.Draft4Validator(SCHEMA).validate(config)
    assert config["config"] == {
        "architecture": "mlp",
        "format": "pytorch",
        "paramSize": "1.2M",
        "precision": "bfloat16",
        "quantization": "gptq",
    }


def test_what_a_modelpack_cannot_hold_is_refused_before_writing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "home")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "Kitfile").write_text("manifestVersion: 1.0.0\npackage:\n  name: nothing\n")
    with pytest.raises(InvalidInput, match="at least one layer"):
        pack(empty, tags=["demo/empty:v1"], store=store, use_model_pack=True)
    mcp = _context(tmp_path / "mcp", KITFILE + "mcpServers:\n  - name: tools\n    path: tools.mcpb\n")
    (mcp / "tools.mcpb").write_bytes(b"PK\x05\x06" + bytes(18))
    with pytest.raises(InvalidInput, match="mcpServers"):
        pack(mcp, tags=["demo/mcp:v1"], store=store, use_model_pack=True)
    assert store.repositories() == []
    assert not store.blobs_dir.exists() or list(store.blobs_dir.iterdir()) == []


def test_modelpack_round_trips_through_a_registry(
    registries: dict[str, RunningRegistry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = registries["none"]
    ctx = _context(tmp_path / "ctx")
    home = tmp_path / "home"
    ref = f"{reg.host}/modelpack/out:v1"
    assert main(["--config", str(home), "pack", str(ctx), "-t", ref, "--use-model-pack"]) == 0
    assert "Model saved: sha256:" in capsys.readouterr().out
    assert main(["--config", str(home), "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["modelName"] for row in listed] == ["tiny-net"]
    store = LocalStore(home)
    pushed = push(ref, store=store, **remote_kw(reg))

    other = LocalStore(tmp_path / "other")
    pulled = pull(ref, store=other, **remote_kw(reg))
    assert pulled.digest == pushed.digest == store.resolve(ref).digest
    _manifest_json, config = _manifest(other, ref)
    jsonschema.Draft4Validator(SCHEMA).validate(config)
    assert config["config"]["precision"] == "bfloat16"  # the CLI filled it from the scanner
    unpack(ref, tmp_path / "out", store=other)
    out, packed = tree(tmp_path / "out"), tree(ctx)
    assert out.pop("Kitfile")
    assert packed.pop("Kitfile")
    assert out == packed


def test_pack_and_push_writes_the_same_modelpack(
    registries: dict[str, RunningRegistry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pack --push --use-model-pack`` streams the layers to the registry and puts the very manifest a
    local pack writes (same time from SOURCE_DATE_EPOCH): the same digest, nothing in the local store."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    reg = registries["none"]
    ctx = _context(tmp_path / "ctx")
    facts = model_facts(ctx)
    local = pack(
        ctx, tags=["demo/tiny:mp"], store=LocalStore(tmp_path / "a"), use_model_pack=True, model_facts=facts
    )
    ref = f"{reg.host}/modelpack/streamed:v1"
    store = LocalStore(tmp_path / "b")
    pushed = pack_and_push(ctx, ref, store=store, use_model_pack=True, model_facts=facts, **remote_kw(reg))
    assert pushed.digest == local.manifest_digest
    assert store.repositories() == []
    pulled = LocalStore(tmp_path / "c")
    pull(ref, store=pulled, **remote_kw(reg))
    assert [k.format for k in pulled.list_kits()] == ["modelpack"]


@pytest.mark.parametrize("layout", ["gguf", "huggingface"])
def test_scanner_facts_of_other_model_layouts(tmp_path: Path, layout: str) -> None:
    """A quantised GGUF file and a Hugging Face transformers folder: what their headers say reaches the
    config, which stays valid against the model-spec's schema."""
    ctx = tmp_path / "ctx"
    if layout == "gguf":
        workspaces.gguf(ctx / "llm" / "tiny.gguf", arch="llama", file_type=15)
        expected = ModelFacts(
            architecture="llama", format="gguf", param_size="2.3K", precision="Q4_K", quantization="Q4_K_M"
        )
    else:
        (ctx / "llm").mkdir(parents=True)
        (ctx / "llm" / "config.json").write_text(
            json.dumps(
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16"}
            )
        )
        (ctx / "llm" / "model.safetensors").write_bytes(_safetensors({"w": ("BF16", [64, 64])}))
        expected = ModelFacts(
            architecture="LlamaForCausalLM", format="safetensors", param_size="4.1K", precision="bfloat16"
        )
    (ctx / "Kitfile").write_text("manifestVersion: 1.0.0\npackage:\n  name: llm\nmodel:\n  path: llm\n")
    facts = model_facts(ctx)
    assert facts == expected
    store = LocalStore(tmp_path / "home")
    pack(ctx, tags=["demo/llm:v1"], store=store, use_model_pack=True, model_facts=facts)
    _manifest_json, config = _manifest(store, "demo/llm:v1")
    jsonschema.Draft4Validator(SCHEMA).validate(config)
    assert config["config"]["paramSize"] == expected.param_size
