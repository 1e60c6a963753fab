"""Folders that are one model or one dataset, recognised from their contents."""

from __future__ import annotations

import json
import struct

import numpy as np
import scanfiles
from test_scan_notebooks import notebook

from kitlab.scan.types import ScanLimits
from kitlab.scan.workspace import scan_workspace

FAST = ScanLimits(pinned_requirements=False)


def scan(ws):
    return scan_workspace(ws, ws, limits=FAST).to_dict()


def only_model(report):
    return report["kitfile"]["model"]


def test_tensorflow_savedmodel(tmp_path):
    (tmp_path / "export" / "1" / "variables").mkdir(parents=True)
    (tmp_path / "export" / "1" / "saved_model.pb").write_bytes(b"\x08\x01\x12\x00")
    (tmp_path / "export" / "1" / "variables" / "variables.index").write_bytes(b"\x00")
    model = only_model(scan(tmp_path))
    assert (model["path"], model["format"], model["framework"]) == ("export/1", "saved_model", "TensorFlow")
    assert model["description"] == "TensorFlow SavedModel folder (saved_model.pb + variables/)"


def test_mlflow_model_folder(tmp_path):
    (tmp_path / "mlmodel").mkdir()
    (tmp_path / "mlmodel" / "MLmodel").write_text(
        "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        "  sklearn:\n    pickled_model: model.pkl\n    sklearn_version: 1.5.0\nmlflow_version: 2.14.1\n"
    )
    (tmp_path / "mlmodel" / "model.pkl").write_bytes(b"\x80\x04\x95\x00")
    model = only_model(scan(tmp_path))
    assert (model["path"], model["format"], model["framework"]) == ("mlmodel", "mlflow", "scikit-learn")
    assert "flavor sklearn, mlflow 2.14.1" in model["description"]


def test_spacy_pipeline(tmp_path):
    pipe = tmp_path / "ner_model"
    pipe.mkdir()
    (pipe / "meta.json").write_text(
        json.dumps({"lang": "en", "name": "ner", "version": "0.2.0", "pipeline": ["tok2vec", "ner"]})
    )
    (pipe / "config.cfg").write_text('[nlp]\nlang = "en"\n')
    model = only_model(scan(tmp_path))
    assert (model["path"], model["format"], model["version"]) == ("ner_model", "spacy", "0.2.0")
    assert "pipeline tok2vec, ner" in model["description"]


def test_diffusers_and_sentence_transformers(tmp_path):
    (tmp_path / "sd").mkdir()
    (tmp_path / "sd" / "model_index.json").write_text(
        json.dumps({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.27.0"})
    )
    scanfiles.write_hf_folder(tmp_path / "embedder", arch="BertModel")
    (tmp_path / "embedder" / "modules.json").write_text("[]")
    report = scan(tmp_path)
    candidates = {report["kitfile"]["model"]["path"]} | {
        a["path"] for a in report["entries"][0]["alternatives"]
    }
    assert candidates == {"sd", "embedder"}
    summaries = {report["entries"][0]["path"]: report["entries"][0]["description"]}
    summaries |= {a["path"]: a["reason"] for a in report["entries"][0]["alternatives"]}
    assert (
        "diffusers pipeline folder (model_index.json: StableDiffusionPipeline, diffusers 0.27.0)"
        in summaries["sd"]
    )
    assert "sentence-transformers folder (config.json: BertModel" in summaries["embedder"]


def test_sharded_safetensors_with_index(tmp_path):
    shards = tmp_path / "weights"
    shards.mkdir()
    index = {"metadata": {"total_size": 64}, "weight_map": {}}
    for i in (1, 2):
        name = f"model-0000{i}-of-00002.safetensors"
        scanfiles.write_safetensors(shards / name, {f"layer{i}": np.zeros(8, np.float32)})
        index["weight_map"][f"layer{i}"] = name
    (shards / "model.safetensors.index.json").write_text(json.dumps(index))
    model = only_model(scan(tmp_path))
    assert (model["path"], model["format"]) == ("weights", "safetensors")
    assert model["description"] == "sharded weights folder: 2 shards listed in model.safetensors.index.json"


def test_audio_dataset_folder_and_core_ml_package(tmp_path):
    wav = (
        b"RIFF\x24\x00\x00\x00WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
        + b"data\x00\x00\x00\x00"
    )
    (tmp_path / "clips").mkdir()
    for i in range(15):
        (tmp_path / "clips" / f"{i}.wav").write_bytes(wav)
    (tmp_path / "clips" / "README.md").write_text("# clips\n")
    pkg = tmp_path / "Classifier.mlpackage"
    (pkg / "Data" / "com.apple.CoreML").mkdir(parents=True)
    (pkg / "Manifest.json").write_text("{}")
    (pkg / "Data" / "com.apple.CoreML" / "model.mlmodel").write_bytes(b"\x08\x04")
    report = scan(tmp_path)
    assert report["kitfile"]["model"]["format"] == "coreml"
    assert report["kitfile"]["datasets"] == [
        {"name": "clips", "path": "clips", "description": "15 audio files"}
    ]


def test_keras_hdf5_markers(tmp_path):
    # Synthetic: HDF5 signature plus the root attribute names Keras writes (no h5py here to write a real one).
    body = b"\x89HDF\r\n\x1a\n" + b"\x00" * 100 + b"keras_version\x00\x00\x002.15.0\x00model_config\x00{}"
    (tmp_path / "net.h5").write_bytes(body)
    model = only_model(scan(tmp_path))
    assert (model["format"], model["framework"]) == ("hdf5", "Keras")
    assert "keras 2.15.0" in model["description"]


def test_a_model_saving_call_makes_an_unrecognised_file_a_candidate(tmp_path):
    (tmp_path / "model.weird").write_bytes(b"\x00\x01proprietary")
    notebook(tmp_path / "train.ipynb", "import torch\ntorch.save(net, 'model.weird')")
    report = scan(tmp_path)
    assert report["kitfile"]["model"]["path"] == "model.weird"
    assert report["entries"][0]["reasons"] == [
        "written by train.ipynb cell 1: `torch.save(net, 'model.weird')`",
        "saved by torch.save; its content is not a format kitlab recognises",
    ]


def test_time_limit_reports_stopped_early(tmp_path):
    for i in range(3):
        (tmp_path / f"blob{i}").write_bytes(b"\x00" * 10)
    report = scan_workspace(tmp_path, tmp_path, limits=ScanLimits(max_seconds=0.0, pinned_requirements=False))
    assert report.stopped_early
    assert "time limit reached: 3 files were not opened to recognise them" in report.warnings
