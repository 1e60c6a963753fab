"""Content sniffers on real files: models trained here, real headers, misleading extensions."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import scanfiles
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from kitlab.scan.sniff import sniff_file
from kitlab.scan.sniff.pickles import references


def sniff(path: Path):
    found = sniff_file(str(path), path.stat().st_size)
    assert found is not None, f"{path.name} not recognised"
    return found


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    return x, (x[:, 0] > 0.5).astype(int)


def test_joblib_model_is_a_model_with_its_class_and_version(tmp_path, xy):
    import sklearn

    joblib.dump(LogisticRegression().fit(*xy), tmp_path / "clf.joblib")
    found = sniff(tmp_path / "clf.joblib")
    assert (found.role, found.format, found.framework) == ("model", "joblib", "scikit-learn")
    assert "LogisticRegression" in found.summary
    assert f"scikit-learn {sklearn.__version__}" in found.summary


def test_compressed_joblib_is_read_through_zlib(tmp_path, xy):
    joblib.dump(LogisticRegression().fit(*xy), tmp_path / "clf.z", compress=3)
    assert (tmp_path / "clf.z").read_bytes()[:1] == b"x"
    found = sniff(tmp_path / "clf.z")
    assert found.role == "model"
    assert "zlib-compressed joblib" in found.summary


def test_pipeline_pickle_is_one_model(tmp_path, xy):
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(*xy)
    (tmp_path / "pipe.pkl").write_bytes(pickle.dumps(pipe))
    found = sniff(tmp_path / "pipe.pkl")
    assert found.role == "model"
    assert "sklearn.pipeline.Pipeline" in found.summary


def test_scaler_and_encoder_are_model_parts(tmp_path, xy):
    joblib.dump(StandardScaler().fit(xy[0]), tmp_path / "scaler")
    joblib.dump(OneHotEncoder().fit([["a"], ["b"]]), tmp_path / "enc.joblib")
    scaler, encoder = sniff(tmp_path / "scaler"), sniff(tmp_path / "enc.joblib")
    assert (scaler.role, scaler.part_type) == ("modelpart", "scaler")
    assert (encoder.role, encoder.part_type) == ("modelpart", "encoder")


def test_pickled_dataframe_and_array_are_data_not_models(tmp_path, xy):
    pd.DataFrame(xy[0]).to_pickle(tmp_path / "frame.pkl")
    joblib.dump(xy[0], tmp_path / "array.joblib")
    frame, array = sniff(tmp_path / "frame.pkl"), sniff(tmp_path / "array.joblib")
    assert (frame.role, frame.framework) == ("data", "pandas")
    assert "data, not a model" in frame.summary
    assert (array.role, array.framework) == ("data", "NumPy")


def test_gzip_pickle_and_plain_objects(tmp_path):
    with gzip.open(tmp_path / "labels.pkl", "wb") as fh:
        pickle.dump({0: "setosa", 1: "virginica"}, fh)
    found = sniff(tmp_path / "labels.pkl")
    assert found.role == "other"
    assert "plain Python objects" in found.summary


def test_pickle_is_never_executed(tmp_path):
    # A pickle whose loading would create a file: walking opcodes must not run it.
    marker = tmp_path / "pwned"
    payload = b"cos\nsystem\n(V touch " + str(marker).encode() + b"\ntR."
    (tmp_path / "evil.pkl").write_bytes(b"\x80\x02" + payload)
    classes, _, _, _ = references((tmp_path / "evil.pkl").read_bytes())
    assert classes == ["os.system"]
    sniff_file(str(tmp_path / "evil.pkl"), (tmp_path / "evil.pkl").stat().st_size)
    assert not marker.exists()


def test_safetensors_header(tmp_path):
    scanfiles.write_safetensors(
        tmp_path / "m.safetensors",
        {"a": np.zeros((4, 8), np.float32), "b": np.zeros(8, np.float16)},
        {"format": "pt"},
    )
    found = sniff(tmp_path / "m.safetensors")
    assert (found.format, found.framework) == ("safetensors", "PyTorch")
    assert "2 tensors, 40 parameters, F16/F32" in found.summary


def test_gguf_version_architecture_and_name(tmp_path):
    scanfiles.write_gguf(tmp_path / "m.gguf", arch="llama", name="tiny-llama", vocab=300)
    found = sniff(tmp_path / "m.gguf")
    assert found.format == "gguf"
    assert found.summary.startswith(
        'GGUF v3, llama architecture, name "tiny-llama", 1.2K parameters, 1 tensors'
    )
    # ModelPack metadata from the tensor infos: one F32 tensor of 4 × 300.
    assert (found.details["parameters"], found.details["precision"]) == (1200, "F32")


def test_onnx_producer_and_opset(tmp_path):
    scanfiles.write_onnx(tmp_path / "m.onnx", producer="skl2onnx", producer_version="1.16.0", opset=15)
    found = sniff(tmp_path / "m.onnx")
    assert found.format == "onnx"
    assert "ONNX IR v8, opset 15, produced by skl2onnx 1.16.0" in found.summary


def test_torch_zip_checkpoint_and_keras_archive(tmp_path):
    scanfiles.write_torch_zip(tmp_path / "weights.pt")
    scanfiles.write_keras(tmp_path / "net.keras")
    torch, keras = sniff(tmp_path / "weights.pt"), sniff(tmp_path / "net.keras")
    assert torch.format == "pytorch"
    assert "state_dict of tensors, 1 tensor storages" in torch.summary
    assert keras.format == "keras"
    assert "Sequential, keras 3.3.3" in keras.summary


@pytest.mark.parametrize(
    ("name", "text", "fmt", "framework"),
    [
        ("model.txt", scanfiles.LIGHTGBM_TEXT, "lightgbm-text", "LightGBM"),
        ("model.pmml", scanfiles.PMML_TEXT, "pmml", "PMML"),
        ("booster.json", scanfiles.XGBOOST_JSON, "xgboost-json", "XGBoost"),
    ],
)
def test_text_model_formats(tmp_path, name, text, fmt, framework):
    (tmp_path / name).write_text(text)
    found = sniff(tmp_path / name)
    assert (found.role, found.format, found.framework) == ("model", fmt, framework)


def test_binary_signatures(tmp_path):
    (tmp_path / "m.tflite").write_bytes(b"\x1c\x00\x00\x00TFL3" + b"\x00" * 32)
    (tmp_path / "m.cbm").write_bytes(b"CBM1" + b"\x00" * 32)
    assert sniff(tmp_path / "m.tflite").format == "tflite"
    assert sniff(tmp_path / "m.cbm").format == "catboost"


def test_tabular_and_columnar_data(tmp_path):
    frame = pd.DataFrame({"sepal": np.arange(300) / 10, "species": ["a", "b", "c"] * 100})
    frame.to_csv(tmp_path / "iris.csv", index=False)
    frame.to_csv(tmp_path / "iris.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "iris.parquet")
    frame.to_feather(tmp_path / "iris.feather")
    frame.to_json(tmp_path / "iris.jsonl", orient="records", lines=True)
    csv = sniff(tmp_path / "iris.csv")
    assert csv.format == "csv"
    assert csv.summary == "CSV (comma-delimited), 2 columns (sepal, species), 300 rows"
    assert sniff(tmp_path / "iris.tsv").summary.startswith("TSV (tab-delimited), 2 columns")
    assert sniff(tmp_path / "iris.parquet").summary.startswith(
        "Parquet, 2 columns (sepal, species), 300 rows"
    )
    assert "Arrow IPC / Feather v2, 2 columns (sepal, species)" in sniff(tmp_path / "iris.feather").summary
    assert sniff(tmp_path / "iris.jsonl").summary.startswith("JSON Lines, 300 records (keys: sepal, species)")


def test_big_csv_rows_are_estimated_from_the_first_bytes(tmp_path):
    pd.DataFrame({"x": np.arange(200_000), "y": np.arange(200_000) * 2}).to_csv(
        tmp_path / "big.csv", index=False
    )
    found = sniff(tmp_path / "big.csv")
    rows = int(found.summary.split("~")[1].split(" ")[0].replace(",", ""))
    assert 150_000 < rows < 260_000


def test_npy_npz_and_zip_of_images(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 5), np.float32))
    np.savez(tmp_path / "b.npz", x=np.zeros(2), y=np.ones((2, 2)))
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as zf:
        for i in range(4):
            zf.writestr(f"img{i}.png", scanfiles.png_bytes(i))
    assert sniff(tmp_path / "a.npy").summary.startswith("NumPy array, shape (3, 5) <f4")
    assert sniff(tmp_path / "b.npz").summary.startswith("NumPy .npz with 2 arrays")
    assert sniff(tmp_path / "imgs.zip").role == "data"


def test_misleading_extensions_are_classified_by_content(tmp_path, xy):
    pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}).to_csv(tmp_path / "weights.bin", index=False)
    joblib.dump(LogisticRegression().fit(*xy), tmp_path / "notes.txt")
    (tmp_path / "config.json").write_text(json.dumps({"lr": 0.1}))
    assert sniff(tmp_path / "weights.bin").format == "csv"
    assert sniff(tmp_path / "notes.txt").role == "model"
    assert sniff(tmp_path / "config.json").role == "config"


def test_unknown_binary_is_not_recognised(tmp_path):
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    assert sniff_file(str(tmp_path / "blob.bin"), 1024) is None


def test_huge_files_are_sniffed_by_their_header_only(tmp_path):
    # A 6 GB safetensors file (sparse: only the header is written) is recognised from its first bytes.
    path = tmp_path / "big.safetensors"
    shape = [50_000, 30_000]
    header = json.dumps({"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 6_000_000_000]}}).encode()
    path.write_bytes(len(header).to_bytes(8, "little") + header)
    os.truncate(path, 8 + len(header) + 6_000_000_000)
    found = sniff_file(str(path), path.stat().st_size)
    assert found is not None
    assert found.summary == "safetensors header: 1 tensors, 1.5B parameters, F32, 6.0 GB"
