# ruff: noqa: E501  (the corpus spells file contents inline; long literal lines read better whole)
"""Writers of the model formats the corpus needs where the real library is not installed here (torch,
TensorFlow, Lightning, Ultralytics, fastai, NeMo, TorchServe, Orbax, MLflow, Weights & Biases): each
writes the byte layout the real tool writes, small.

``torch_save`` is the one most formats build on. It writes what ``torch.save`` writes since torch 1.6
(the zip serialization): a stored (uncompressed) zip whose members sit under a folder named after the
file, ``data.pkl`` a protocol-2 pickle in which every tensor is
``torch._utils._rebuild_tensor_v2(<persistent storage id>, offset, size, stride, requires_grad, hooks)``
and every storage a persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)`` whose bytes are
the member ``data/<key>``; objects of other classes (a ``DetectionModel``, a fastai ``Learner``) are
pickled as Python pickles any object: ``NEWOBJ`` of the class's global, then ``BUILD`` with its
``__dict__``. The classes are stood in for by classes registered under the real module names for the
time of the dump only, so the pickle names exactly the globals the real library's pickle names.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import pickle
import sys
import tarfile
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.wire import varint

_FAKE_MODULES: dict[str, types.ModuleType] = {}


def _module(name: str) -> types.ModuleType:
    if name in sys.modules and name not in _FAKE_MODULES:
        return sys.modules[name]
    if name not in _FAKE_MODULES:
        module = types.ModuleType(name)
        _FAKE_MODULES[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(_module(parent), child, module)
    return _FAKE_MODULES[name]


@contextlib.contextmanager
def foreign_globals() -> Iterator[None]:
    """Install the stand-in modules in ``sys.modules`` for one dump, and take them out again."""
    added = [n for n in _FAKE_MODULES if n not in sys.modules]
    for name in added:
        sys.modules[name] = _FAKE_MODULES[name]
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


def foreign_class(dotted: str) -> type:
    """A class pickled under ``dotted`` (``ultralytics.nn.tasks.DetectionModel``)."""
    module_name, _, name = dotted.rpartition(".")
    module = _module(module_name)
    cls = getattr(module, name, None)
    if cls is None:
        cls = type(name, (), {"__module__": module_name, "__qualname__": name})
        setattr(module, name, cls)
    return cls


def foreign_object(dotted: str, **state: Any) -> Any:
    obj = foreign_class(dotted).__new__(foreign_class(dotted))
    obj.__dict__.update(state)
    return obj


def _foreign_function(dotted: str) -> Any:
    module_name, _, name = dotted.rpartition(".")
    module = _module(module_name)
    if not hasattr(module, name):

        def stand_in(*args: Any) -> None:
            raise RuntimeError("a stand-in; never called")

        stand_in.__module__, stand_in.__qualname__, stand_in.__name__ = module_name, name, name
        setattr(module, name, stand_in)
    return getattr(module, name)


class Tensor:
    """A tensor as torch pickles it (``_rebuild_tensor_v2`` over a storage)."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.ascontiguousarray(array, dtype=np.float32)

    def __reduce_ex__(self, protocol: object) -> tuple[Any, tuple[Any, ...]]:
        shape = tuple(self.array.shape)
        stride = tuple(s // 4 for s in self.array.strides)
        rebuild = _foreign_function("torch._utils._rebuild_tensor_v2")
        return rebuild, (_Storage(self.array), 0, shape, stride, False, collections.OrderedDict())


class _Storage:
    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _TorchPickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=2)
        self.storages: list[np.ndarray] = []

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _Storage):
            self.storages.append(obj.array)
            key = str(len(self.storages) - 1)
            return ("storage", foreign_class("torch.FloatStorage"), key, "cpu", obj.array.size)
        return None


def torch_save(path: Path, obj: Any) -> None:
    """``torch.save(obj, path)`` with torch ≥ 1.6's zip layout (see the module docstring)."""
    _foreign_function("torch._utils._rebuild_tensor_v2")
    foreign_class("torch.FloatStorage")
    buffer = io.BytesIO()
    with foreign_globals():
        pickler = _TorchPickler(buffer)
        pickler.dump(obj)
    archive = path.stem or "archive"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", buffer.getvalue())
        zf.writestr(f"{archive}/.format_version", "1")
        zf.writestr(f"{archive}/.storage_alignment", "64")
        zf.writestr(f"{archive}/byteorder", "little")
        for key, array in enumerate(pickler.storages):
            zf.writestr(f"{archive}/data/{key}", array.tobytes())
        zf.writestr(f"{archive}/version", "3\n")
        zf.writestr(f"{archive}/.data/serialization_id", "1234567890123456789012345678901234567890")


def state_dict(*shapes: tuple[int, ...], prefix: str = "layer") -> collections.OrderedDict[str, Tensor]:
    rng = np.random.default_rng(len(shapes))
    return collections.OrderedDict(
        (f"{prefix}{i}.weight", Tensor(rng.random(shape, dtype=np.float32))) for i, shape in enumerate(shapes)
    )


def lightning_ckpt(path: Path, epoch: int = 9, step: int = 1000) -> None:
    """What ``Trainer.save_checkpoint`` writes (lightning 2.x ``_dump_checkpoint``'s keys)."""
    torch_save(
        path,
        {
            "epoch": epoch,
            "global_step": step,
            "pytorch-lightning_version": "2.4.0",
            "state_dict": state_dict((16, 8), (4, 16), prefix="model.net."),
            "loops": {"fit_loop": {"state_dict": {}}},
            "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": 0.21}},
            "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.001}]}],
            "lr_schedulers": [],
            "hparams_name": "kwargs",
            "hyper_parameters": {"hidden": 16, "lr": 0.001},
        },
    )


def ultralytics_pt(path: Path, task: str = "DetectionModel", epoch: int = -1) -> None:
    """An Ultralytics 8.x checkpoint (``BaseTrainer.save_model``): the model object, not a state_dict."""
    model = foreign_object(
        f"ultralytics.nn.tasks.{task}",
        yaml={"nc": 3, "backbone": []},
        model=foreign_object("torch.nn.modules.container.Sequential", _parameters=state_dict((8, 3))),
    )
    torch_save(
        path,
        {
            "date": "2026-11-30T10:00:00",
            "version": "8.3.40",
            "license": "AGPL-3.0 License (https://ultralytics.com/license)",
            "docs": "https://docs.ultralytics.com",
            "epoch": epoch,
            "best_fitness": 0.61,
            "model": model,
            "ema": None,
            "updates": 120,
            "optimizer": None,
            "train_args": {"model": "yolov8n.pt", "data": "data.yaml", "epochs": 10},
            "train_metrics": {"metrics/mAP50(B)": 0.61},
        },
    )


def fastai_export(path: Path) -> None:
    """``Learner.export()``: ``torch.save(learner)`` of the whole ``fastai.learner.Learner``."""
    learner = foreign_object(
        "fastai.learner.Learner",
        model=foreign_object("fastai.layers.TimeDistributed", _parameters=state_dict((4, 4))),
        loss_func=foreign_object("fastai.losses.CrossEntropyLossFlat"),
        dls=foreign_object("fastai.data.core.DataLoaders"),
    )
    torch_save(path, learner)


def whole_torch_module(path: Path, cls: str = "__main__.Net") -> None:
    """``torch.save(model)`` of a user's nn.Module subclass."""
    torch_save(path, foreign_object(cls, _parameters=state_dict((10, 4), (2, 10)), training=False))


def keras_h5(path: Path, layers: int = 2) -> None:
    """A Keras 2 ``model.save("x.h5")`` with h5py, as keras' ``hdf5_format.save_model_to_hdf5`` lays it out."""
    import h5py

    config = {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [{"class_name": "Dense"} for _ in range(layers)]},
    }
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [f"dense_{i}".encode() for i in range(layers)]
        for i in range(layers):
            group = weights.create_group(f"dense_{i}")
            group.attrs["weight_names"] = [f"dense_{i}/kernel:0".encode()]
            group.create_dataset(f"dense_{i}/kernel:0", data=np.ones((4, 4), np.float32))


def keras_v3(path: Path) -> None:
    """A Keras 3 ``model.save("x.keras")``: zip of config.json, metadata.json and model.weights.h5."""
    import h5py

    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("layers").create_group("dense").create_group("vars").create_dataset(
            "0", data=np.ones((4, 2), np.float32)
        )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-11-30@10:00:00"})
        )
        zf.writestr(
            "config.json",
            json.dumps({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential"}}),
        )
        zf.writestr("model.weights.h5", weights.getvalue())


def saved_model(folder: Path) -> None:
    """A TensorFlow SavedModel folder: saved_model.pb (a SavedModel protobuf) and variables/."""
    folder.mkdir(parents=True, exist_ok=True)
    # SavedModel{saved_model_schema_version=1, meta_graphs=[MetaGraphDef{meta_info_def{tags:["serve"]}}]}
    meta_info = b"\x22\x05serve"
    (folder / "saved_model.pb").write_bytes(
        b"\x08\x01\x12" + bytes([len(meta_info) + 2, 0x0A, len(meta_info)]) + meta_info
    )
    (folder / "fingerprint.pb").write_bytes(b"\x08\x01")
    (folder / "variables").mkdir(exist_ok=True)
    tf_checkpoint(folder / "variables", "variables", index_only_name=True)
    (folder / "assets").mkdir(exist_ok=True)


def _leveldb_table(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A LevelDB/TensorFlow table (tensorflow/core/lib/io/table_format): blocks with restart arrays and
    5-byte trailers, a metaindex and index block, and the 48-byte footer ending in the table magic."""

    def block(items: list[tuple[bytes, bytes]]) -> bytes:
        body = b"".join(varint(0) + varint(len(k)) + varint(len(v)) + k + v for k, v in items)
        body += (0).to_bytes(4, "little") + (1).to_bytes(4, "little")  # one restart at offset 0
        return body + b"\x00" + b"\x00\x00\x00\x00"  # no compression, (unchecked) crc

    data = block(entries)
    meta = block([])
    data_handle = varint(0) + varint(len(data) - 5)
    index = block([(entries[-1][0] if entries else b"", data_handle)])
    meta_handle = varint(len(data)) + varint(len(meta) - 5)
    index_handle = varint(len(data) + len(meta)) + varint(len(index) - 5)
    handles = meta_handle + index_handle
    footer = handles + b"\x00" * (40 - len(handles)) + (0xDB4775248B80FB57).to_bytes(8, "little")
    return data + meta + index + footer


def tf_checkpoint(folder: Path, prefix: str = "ckpt-1", index_only_name: bool = False) -> None:
    """``tf.train.Checkpoint.save``: ``<prefix>.index`` (a table of BundleEntryProtos) and the
    ``<prefix>.data-00000-of-00001`` shard; plus the ``checkpoint`` state file unless inside a SavedModel."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = np.ones((8, 8), np.float32).tobytes()
    header = b"\x08\x01"  # BundleHeaderProto{num_shards: 1}
    entry = b"\x08\x01\x12\x06\x12\x02\x08\x08\x12\x02\x08\x08\x28" + bytes(
        [len(weights) & 0x7F | 0x80, len(weights) >> 7]
    )
    (folder / f"{prefix}.index").write_bytes(
        _leveldb_table([(b"", header), (b"dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", entry)])
    )
    (folder / f"{prefix}.data-00000-of-00001").write_bytes(weights)
    if not index_only_name:
        (folder / "checkpoint").write_text(
            f'model_checkpoint_path: "{prefix}"\nall_model_checkpoint_paths: "{prefix}"\n'
        )


def torchserve_mar(path: Path, serialized: bytes) -> None:
    """``torch-model-archiver`` output: a zip with MAR-INF/MANIFEST.json, the weights and the handler."""
    manifest = {
        "createdOn": "30/11/2026 10:00:00",
        "runtime": "python",
        "model": {
            "modelName": path.stem,
            "serializedFile": "model.pt",
            "handler": "image_classifier",
            "modelVersion": "1.0",
        },
        "archiverVersion": "0.12.0",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("MAR-INF/MANIFEST.json", json.dumps(manifest, indent=2))
        zf.writestr("model.pt", serialized)
        zf.writestr("index_to_name.json", json.dumps({"0": "cat", "1": "dog"}))


def nemo_archive(path: Path) -> None:
    """A NeMo ``.nemo`` (``SaveRestoreConnector``): an uncompressed tar of model_config.yaml and
    model_weights.ckpt (a torch.save state_dict), plus tokenizer artifacts."""
    ckpt = path.with_suffix(".tmp.ckpt")
    torch_save(ckpt, state_dict((8, 8), prefix="encoder."))
    config = (
        "target: nemo.collections.asr.models.EncDecCTCModelBPE\nsample_rate: 16000\nnemo_version: 2.0.0\n"
    )
    with tarfile.open(path, "w:") as tar:
        for name, data in (
            ("./model_config.yaml", config.encode()),
            ("./model_weights.ckpt", ckpt.read_bytes()),
            ("./tokenizer.model", b"\x0a\x04tok"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ckpt.unlink()


def tar_gz(path: Path, members: dict[str, bytes]) -> None:
    """A SageMaker-style ``model.tar.gz`` (``tar czf`` of the model dir)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def zip_folder(path: Path, folder: Path, arcroot: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, f"{arcroot}/{file.relative_to(folder).as_posix()}")


def mlflow_model_folder(folder: Path, model: Any, flavor: str = "sklearn", run_id: str = "") -> None:
    """``mlflow.<flavor>.save_model``/``log_model``: MLmodel YAML, model.pkl, conda/python_env/requirements."""
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / "model.pkl")
    run_line = f"run_id: {run_id}\n" if run_id else ""
    (folder / "MLmodel").write_text(
        f"artifact_path: model\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n"
        f"      virtualenv: python_env.yaml\n    loader_module: mlflow.{flavor}\n    model_path: model.pkl\n"
        f"    predict_fn: predict\n    python_version: 3.11.9\n  {flavor}:\n    code: null\n"
        f"    pickled_model: model.pkl\n    serialization_format: cloudpickle\n    sklearn_version: 1.5.2\n"
        f"mlflow_version: 2.18.0\nmodel_size_bytes: 1234\nmodel_uuid: 6f1c2b4e0f0d4f7e9c1d2a3b4c5d6e7f\n"
        f"{run_line}utc_time_created: '2026-11-30 10:00:00.000000'\n"
    )
    (folder / "conda.yaml").write_text("channels:\n- conda-forge\ndependencies:\n- python=3.11.9\n- pip\n")
    (folder / "python_env.yaml").write_text(
        "python: 3.11.9\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n"
    )
    (folder / "requirements.txt").write_text("mlflow==2.18.0\nscikit-learn==1.5.2\n")


def mlflow_run(
    mlruns: Path,
    experiment: str,
    run_id: str,
    model: Any | None,
    params: dict[str, str],
    metrics: dict[str, float],
    end_time: int = 1764496800000,
    artifact: str = "model",
) -> Path:
    """A run of MLflow's file store: meta.yaml, params/, metrics/, tags/ and artifacts/<name>/."""
    exp = mlruns / experiment
    exp.mkdir(parents=True, exist_ok=True)
    if not (exp / "meta.yaml").exists():
        (exp / "meta.yaml").write_text(
            f"artifact_location: file://{exp}\ncreation_time: 1764400000000\nexperiment_id: '{experiment}'\n"
            f"last_update_time: 1764400000000\nlifecycle_stage: active\nname: churn\n"
        )
    run = exp / run_id
    for sub in ("params", "metrics", "tags", "artifacts"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    (run / "meta.yaml").write_text(
        f"artifact_uri: file://{run}/artifacts\nend_time: {end_time}\nentry_point_name: ''\n"
        f"experiment_id: '{experiment}'\nlifecycle_stage: active\nrun_id: {run_id}\nrun_name: {run_id[:6]}-run\n"
        f"run_uuid: {run_id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {end_time - 60000}\n"
        f"status: 3\ntags: []\nuser_id: jovyan\n"
    )
    for name, value in params.items():
        (run / "params" / name).write_text(value)
    for name, value in metrics.items():
        (run / "metrics" / name).write_text(f"{end_time - 1000} {value} 0\n")
    (run / "tags" / "mlflow.runName").write_text(f"{run_id[:6]}-run")
    (run / "tags" / "mlflow.user").write_text("jovyan")
    if model is not None:
        mlflow_model_folder(run / "artifacts" / artifact, model, run_id=run_id)
    return run


def mlflow_registered(mlruns: Path, name: str, version: int, run: Path, artifact: str = "model") -> None:
    """A registered model version of the file store: mlruns/models/<name>/version-<n>/meta.yaml."""
    folder = mlruns / "models" / name
    (folder / f"version-{version}").mkdir(parents=True, exist_ok=True)
    (folder / "meta.yaml").write_text(f"creation_timestamp: 1764496800000\nname: {name}\n")
    (folder / f"version-{version}" / "meta.yaml").write_text(
        f"creation_timestamp: 1764496800000\ncurrent_stage: None\nname: {name}\nrun_id: {run.name}\n"
        f"source: file://{run}/artifacts/{artifact}\nstatus: READY\nversion: {version}\n"
    )


def wandb_run(wandb: Path, run_id: str, files: dict[str, bytes]) -> Path:
    """A Weights & Biases run folder: files/ (config.yaml, wandb-summary.json, saved files), logs/,
    run-<id>.wandb (the binary log)."""
    run = wandb / f"run-20261130_100000-{run_id}"
    (run / "files").mkdir(parents=True)
    (run / "logs").mkdir()
    (run / "tmp" / "code").mkdir(parents=True)
    (run / "files" / "config.yaml").write_text(
        "_wandb:\n  desc: null\n  value:\n    python_version: 3.11.9\nepochs:\n  desc: null\n  value: 10\n"
        "lr:\n  desc: null\n  value: 0.001\n"
    )
    (run / "files" / "wandb-summary.json").write_text(
        json.dumps({"val_acc": 0.91, "_step": 99, "_runtime": 62})
    )
    (run / "files" / "wandb-metadata.json").write_text(
        json.dumps({"program": "train.py", "python": "3.11.9"})
    )
    (run / "files" / "output.log").write_text("epoch 1 loss 0.6\nepoch 10 loss 0.2\n")
    (run / "files" / "requirements.txt").write_text("wandb==0.18.7\n")
    for name, data in files.items():
        (run / "files" / name).write_bytes(data)
    (run / "logs" / "debug.log").write_text("2026-11-30 10:00:00 INFO wandb started\n")
    (run / "logs" / "debug-internal.log").write_text("2026-11-30 10:00:00 INFO internal\n")
    (run / f"run-{run_id}.wandb").write_bytes(b":W&B\x00\x01\x00\x00" + b"\x00" * 64)
    (wandb / "debug.log").write_text("2026-11-30 10:00:00 INFO\n")
    latest = wandb / "latest-run"
    if latest.is_symlink():
        latest.unlink()
    latest.symlink_to(run.name)  # wandb's own link to the newest run
    return run


def orbax_checkpoint(folder: Path, step: int) -> None:
    """An Orbax (Flax/JAX) checkpoint step: <step>/_CHECKPOINT_METADATA and <step>/default/ with
    _METADATA, manifest.ocdbt and the d/ data files of the OCDBT store."""
    step_dir = folder / str(step)
    default = step_dir / "default"
    (default / "d").mkdir(parents=True)
    (default / "ocdbt.process_0" / "d").mkdir(parents=True)
    (step_dir / "_CHECKPOINT_METADATA").write_text(
        json.dumps(
            {
                "item_handlers": {
                    "default": "orbax.checkpoint._src.handlers.standard_checkpoint_handler.StandardCheckpointHandler"
                },
                "metrics": None,
                "init_timestamp_nsecs": 1764496800000000000,
            }
        )
    )
    (default / "_METADATA").write_text(
        json.dumps(
            {
                "tree_metadata": {
                    "('params', 'Dense_0', 'kernel')": {
                        "key_metadata": [],
                        "value_metadata": {"value_type": "jax.Array"},
                    }
                },
                "use_zarr3": False,
            }
        )
    )
    (default / "_sharding").write_text("{}")
    (default / "manifest.ocdbt").write_bytes(b"\x0a\x0b\x0c\x0d" + b"\x00" * 60)
    (default / "d" / "a1b2c3d4e5f6").write_bytes(np.ones(64, np.float32).tobytes())
    (default / "ocdbt.process_0" / "manifest.ocdbt").write_bytes(b"\x0a\x0b\x0c\x0d" + b"\x00" * 20)
