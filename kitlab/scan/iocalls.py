"""The calls that write or read files, by name: where their path argument is and what they usually store.

Full dotted names (matched on their last two components, so ``np.save`` and ``numpy.save`` both work)
come first; then method names on any receiver (``df.to_parquet``, ``model.save_pretrained``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CallSpec:
    op: str  # "write" | "read"
    position: int  # index of the path argument; -1 = the receiver (Path(...).write_text)
    keywords: tuple[str, ...] = ()
    what: str = "file"  # "model", "data", "dir" or "file": the kind of thing this call usually stores


PATH_KW = (
    "path",
    "path_or_buf",
    "filepath_or_buffer",
    "fname",
    "file",
    "filename",
    "f",
    "output_dir",
    "save_directory",
    "export_dir",
    "model_file",
    "data_dir",
    "dataset_path",
    "uri",
)
# Full dotted names first (matched on the last two components), then method names on any receiver.
FUNCTIONS = {
    "joblib.dump": CallSpec("write", 1, PATH_KW, "model"),
    "pickle.dump": CallSpec("write", 1, PATH_KW, "model"),
    "dill.dump": CallSpec("write", 1, PATH_KW, "model"),
    "cloudpickle.dump": CallSpec("write", 1, PATH_KW, "model"),
    "torch.save": CallSpec("write", 1, PATH_KW, "model"),
    "onnx.export": CallSpec("write", 2, PATH_KW, "model"),
    "torch.safetensors": CallSpec("write", 1, PATH_KW, "model"),
    "save_file": CallSpec("write", 1, PATH_KW, "model"),
    "json.dump": CallSpec("write", 1, PATH_KW, "file"),
    "yaml.dump": CallSpec("write", 1, PATH_KW, "file"),
    "np.save": CallSpec("write", 0, PATH_KW, "data"),
    "numpy.save": CallSpec("write", 0, PATH_KW, "data"),
    "np.savez": CallSpec("write", 0, PATH_KW, "data"),
    "np.savez_compressed": CallSpec("write", 0, PATH_KW, "data"),
    "np.savetxt": CallSpec("write", 0, PATH_KW, "data"),
    "saved_model.save": CallSpec("write", 1, PATH_KW, "dir"),
    "joblib.load": CallSpec("read", 0, PATH_KW, "model"),
    "pickle.load": CallSpec("read", 0, PATH_KW, "model"),
    "torch.load": CallSpec("read", 0, PATH_KW, "model"),
    "json.load": CallSpec("read", 0, PATH_KW, "file"),
    "np.load": CallSpec("read", 0, PATH_KW, "data"),
    "numpy.load": CallSpec("read", 0, PATH_KW, "data"),
    "np.loadtxt": CallSpec("read", 0, PATH_KW, "data"),
    "np.genfromtxt": CallSpec("read", 0, PATH_KW, "data"),
    "Image.open": CallSpec("read", 0, PATH_KW, "data"),
    "cv2.imread": CallSpec("read", 0, PATH_KW, "data"),
    "pq.read_table": CallSpec("read", 0, PATH_KW, "data"),
    "parquet.read_table": CallSpec("read", 0, PATH_KW, "data"),
    "spacy.load": CallSpec("read", 0, PATH_KW, "dir"),
    "sio.dump": CallSpec("write", 1, PATH_KW, "model"),
    "skops.io.dump": CallSpec("write", 1, PATH_KW, "model"),
    "sio.load": CallSpec("read", 0, PATH_KW, "model"),
}
METHODS = {
    **{
        m: CallSpec("write", 0, PATH_KW, "data")
        for m in (
            "to_csv",
            "to_parquet",
            "to_json",
            "to_feather",
            "to_pickle",
            "to_excel",
            "to_hdf",
            "to_orc",
            "save_to_disk",
        )
    },
    "save_pretrained": CallSpec("write", 0, PATH_KW, "dir"),
    # ndarray.tofile: raw array bytes, weights when the name says so (candidates.py decides).
    "tofile": CallSpec("write", 0, ("fid", "file"), "array"),
    # fastai's Learner.export(fname): torch.save of the whole learner.
    "export": CallSpec("write", 0, ("fname", *PATH_KW), "model"),
    "save_model": CallSpec("write", 0, PATH_KW, "model"),
    "save_weights": CallSpec("write", 0, PATH_KW, "model"),
    "to_disk": CallSpec("write", 0, PATH_KW, "dir"),
    "save": CallSpec("write", 0, PATH_KW, "model"),
    "savefig": CallSpec("write", 0, PATH_KW, "file"),
    "write_text": CallSpec("write", -1, (), "file"),
    "write_bytes": CallSpec("write", -1, (), "file"),
    **{
        m: CallSpec("read", 0, PATH_KW, "data")
        for m in (
            "read_csv",
            "read_table",
            "read_parquet",
            "read_json",
            "read_feather",
            "read_excel",
            "read_pickle",
            "read_hdf",
            "read_orc",
            "load_from_disk",
        )
    },
    "from_pretrained": CallSpec("read", 0, ("pretrained_model_name_or_path", *PATH_KW), "dir"),
    "load_model": CallSpec("read", 0, PATH_KW, "model"),
    "read_text": CallSpec("read", -1, (), "file"),
    "read_bytes": CallSpec("read", -1, (), "file"),
}
MLFLOW_SAVE = re.compile(r"^mlflow\.\w+\.save_model$")
MODULE_RECEIVERS = {"np", "numpy", "torch", "joblib", "pickle", "pd", "pandas", "cv2", "plt", "sf", "tf"}
BUILTIN_LOADERS = {"csv", "json", "parquet", "text", "imagefolder", "audiofolder", "arrow", "pandas"}
