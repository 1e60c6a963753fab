"""Regenerate kitlab/scan/pickles/allowlist.py from the libraries' own pickles.

    .venv/bin/python scripts/pickle_allowlist.py            # rewrite the allowlist
    .venv/bin/python scripts/pickle_allowlist.py --check    # exit 1 when it would change

Real objects of scikit-learn (every estimator ``all_estimators`` lists that fits on small data, plus
meta-estimators, pipelines and text features), XGBoost, LightGBM, CatBoost, statsmodels, pandas (time
zones, categoricals, periods, intervals, nullable and Arrow dtypes), NumPy and SciPy are fitted here and
pickled with every pickle protocol and joblib; kitlab's own analyser records every global each file
imports and how it is used (``new``: instantiated without ``__init__`` through copyreg / NEWOBJ;
``call``: called with arguments; ``ref``: only referenced). The union is the allowlist. A name the policy
knows as dangerous is never listed (they are printed for review); a name's uses are exactly the uses
seen. PyTorch is not installed here (its wheels pull gigabytes of CUDA libraries): its names come from
the hand-reviewed ``TORCH`` table below — what ``torch.save`` writes and ``torch.load(weights_only=True)``
itself accepts.
"""

from __future__ import annotations

import argparse
import contextlib
import pickle
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kitlab.scan.pickles.files import _Scan  # noqa: E402
from kitlab.scan.pickles.policy import dangerous_reason  # noqa: E402

TARGET = ROOT / "kitlab" / "scan" / "pickles" / "allowlist.py"

# What torch.save writes for tensors, parameters and state dicts, and the storage/dtype/layout globals
# torch.load(weights_only=True) accepts (torch/_weights_only_unpickler.py). Rebuild helpers are called
# with the pickle's arguments; storages, dtypes and layouts are referenced (persistent ids, arguments).
TORCH_CALLED = [
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_nested_tensor",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._tensor._rebuild_from_type",
    "torch._tensor._rebuild_from_type_v2",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.device",
    "torch.nn.parameter.Parameter",
]
TORCH_REFERENCED = [
    *(
        f"torch.{kind}Storage"
        for kind in [
            "Float",
            "Double",
            "Half",
            "BFloat16",
            "Long",
            "Int",
            "Short",
            "Char",
            "Byte",
            "Bool",
            "ComplexFloat",
            "ComplexDouble",
            "QInt8",
            "QUInt8",
            "QInt32",
            "QUInt4x2",
            "QUInt2x4",
            "Untyped",
        ]
    ),
    *(
        f"torch.{dtype}"
        for dtype in [
            "float32",
            "float64",
            "float16",
            "bfloat16",
            "complex32",
            "complex64",
            "complex128",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "bool",
            "qint8",
            "quint8",
            "qint32",
            "quint4x2",
            "quint2x4",
            "float8_e4m3fn",
            "float8_e5m2",
            "float8_e4m3fnuz",
            "float8_e5m2fnuz",
        ]
    ),
    "torch.strided",
    "torch.sparse_coo",
    "torch.sparse_csr",
    "torch.sparse_csc",
    "torch.sparse_bsr",
    "torch.sparse_bsc",
    "torch._mkldnn",
    "torch.contiguous_format",
    "torch.channels_last",
    "torch.channels_last_3d",
    "torch.preserve_format",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.per_channel_affine_float_qparams",
    "torch.per_tensor_symmetric",
    "torch.per_channel_symmetric",
    "torch.Tensor",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
]


def _xy(n: int = 60, features: int = 4, seed: int = 0) -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.random((n, features))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    return x, y, x[:, 0] * 3 + x[:, 2]


def sklearn_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np
    import pandas as pd
    from sklearn.utils.discovery import all_estimators

    x, y, target = _xy()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    for kind in ("classifier", "regressor", "cluster", "transformer"):
        for name, cls in all_estimators(type_filter=kind):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for data in (x, frame):
                    try:
                        est = cls()
                        if kind == "regressor":
                            est.fit(data, target)
                        elif kind == "classifier":
                            est.fit(data, y)
                        else:
                            est.fit(np.abs(data) if name in ("AdditiveChi2Sampler",) else data, y)
                    except Exception:  # estimators that need arguments or other data
                        continue
                    yield f"sklearn {name} {type(data).__name__}", est
    yield from sklearn_composites()


def sklearn_composites() -> Iterator[tuple[str, Any]]:
    import numpy as np
    import pandas as pd
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.ensemble import (
        BaggingClassifier,
        RandomForestClassifier,
        StackingClassifier,
        VotingClassifier,
    )
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    x, y, target = _xy()
    frame = pd.DataFrame(
        {
            "num": x[:, 0],
            "cat": np.where(x[:, 1] > 0.5, "hi", "lo"),
            "when": pd.date_range("2024", periods=60),
        }
    )
    labels = np.where(y == 1, "yes", "no")
    texts = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"] * 15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield "pipeline", make_pipeline(StandardScaler(), LogisticRegression()).fit(x, labels)
        columns = ColumnTransformer(
            [("num", StandardScaler(), ["num"]), ("cat", OneHotEncoder(handle_unknown="ignore"), ["cat"])]
        )
        yield "column-transformer", make_pipeline(columns, LogisticRegression()).fit(frame[["num", "cat"]], y)
        yield "ordinal", OrdinalEncoder().fit(frame[["cat"]])
        yield "function-transformer", FunctionTransformer(np.log1p).fit(x)
        yield "grid-search", GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}, cv=2).fit(x, y)
        yield (
            "random-search",
            RandomizedSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, n_iter=2, cv=2).fit(x, y),
        )
        yield "calibrated", CalibratedClassifierCV(LogisticRegression(), cv=2).fit(x, y)
        yield (
            "voting",
            VotingClassifier([("lr", LogisticRegression()), ("knn", KNeighborsClassifier())]).fit(x, y),
        )
        yield "stacking", StackingClassifier([("lr", LogisticRegression())], cv=2).fit(x, y)
        yield "bagging", BaggingClassifier(n_estimators=3).fit(x, y)
        yield "ovr", OneVsRestClassifier(LogisticRegression()).fit(x, labels)
        yield (
            "ttr",
            TransformedTargetRegressor(LinearRegression(), func=np.log1p, inverse_func=np.expm1).fit(
                x, target
            ),
        )
        yield "union", FeatureUnion([("s", StandardScaler()), ("f", FunctionTransformer())]).fit(x)
        yield "count-vectorizer", CountVectorizer().fit(texts)
        yield "tfidf", TfidfVectorizer(ngram_range=(1, 2)).fit(texts)
        yield "hashing", HashingVectorizer(n_features=32).fit(texts)
        yield (
            "forest-random-state",
            RandomForestClassifier(3, random_state=np.random.RandomState(0)).fit(x, y),
        )


def boosting_objects() -> Iterator[tuple[str, Any]]:
    x, y, target = _xy()
    try:
        import xgboost as xgb

        yield "xgb-classifier", xgb.XGBClassifier(n_estimators=3).fit(x, y)
        yield "xgb-regressor", xgb.XGBRegressor(n_estimators=3).fit(x, target)
        yield "xgb-booster", xgb.train({}, xgb.DMatrix(x, label=y), 3)
    except ImportError:
        print("xgboost not installed: skipped", file=sys.stderr)
    try:
        import lightgbm as lgb

        yield "lgbm-classifier", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y)
        yield "lgbm-regressor", lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(x, target)
        yield "lgbm-booster", lgb.train({"verbose": -1}, lgb.Dataset(x, label=y), 3)
    except ImportError:
        print("lightgbm not installed: skipped", file=sys.stderr)
    try:
        import catboost

        yield (
            "catboost-classifier",
            catboost.CatBoostClassifier(iterations=3, verbose=0, allow_writing_files=False).fit(x, y),
        )
        yield (
            "catboost-regressor",
            catboost.CatBoostRegressor(iterations=3, verbose=0, allow_writing_files=False).fit(x, target),
        )
    except ImportError:
        print("catboost not installed: skipped", file=sys.stderr)


def statsmodels_objects() -> Iterator[tuple[str, Any]]:
    try:
        import statsmodels.api as sm
        from statsmodels.tsa.arima.model import ARIMA
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
    except ImportError:
        print("statsmodels not installed: skipped", file=sys.stderr)
        return
    x, y, target = _xy()
    exog = sm.add_constant(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield "ols", sm.OLS(target, exog).fit()
        yield "wls", sm.WLS(target, exog).fit()
        yield "glm", sm.GLM(y, exog, family=sm.families.Binomial()).fit()
        yield "logit", sm.Logit(y, exog).fit(disp=0)
        yield "arima", ARIMA(target, order=(1, 0, 0)).fit()
        yield "holt-winters", ExponentialSmoothing(target + 1, trend="add").fit()


def pandas_objects() -> Iterator[tuple[str, Any]]:
    import datetime
    import zoneinfo

    import numpy as np
    import pandas as pd

    n = 6
    yield (
        "frame-basic",
        pd.DataFrame({"i": range(n), "f": np.linspace(0, 1, n), "s": list("abcdef"), "b": [True, False] * 3}),
    )
    yield "frame-tz", pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, tz="Europe/Paris")})
    yield "frame-tz-utc", pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, tz="UTC")})
    yield (
        "frame-tz-fixed",
        pd.DataFrame(
            {"t": pd.date_range("2024-01-01", periods=n, tz=datetime.timezone(datetime.timedelta(hours=2)))}
        ),
    )
    yield (
        "series-zoneinfo",
        pd.Series(pd.date_range("2024", periods=n, tz=zoneinfo.ZoneInfo("America/New_York"))),
    )
    yield "frame-categorical", pd.DataFrame({"c": pd.Categorical(list("abcabc"), ordered=True)})
    yield "frame-period", pd.DataFrame({"p": pd.period_range("2024-01", periods=n, freq="M")})
    yield "frame-interval", pd.DataFrame({"iv": pd.interval_range(0, n)})
    yield "frame-timedelta", pd.DataFrame({"d": pd.to_timedelta(range(n), unit="h")})
    yield (
        "frame-nullable",
        pd.DataFrame(
            {
                "I": pd.array([1, None] * 3, dtype="Int64"),
                "F": pd.array([0.5, None] * 3, dtype="Float64"),
                "B": pd.array([True, None] * 3, dtype="boolean"),
            }
        ),
    )
    yield "frame-string", pd.DataFrame({"s": pd.array(list("abcdef"), dtype="string")})
    yield "frame-sparse", pd.DataFrame({"sp": pd.arrays.SparseArray([0, 0, 1, 0, 2, 0])})
    yield (
        "frame-multiindex",
        pd.DataFrame({"v": range(n)}, index=pd.MultiIndex.from_product([["x", "y"], [1, 2, 3]])),
    )
    yield "index-categorical", pd.CategoricalIndex(list("abcabc"))
    yield "index-datetime-freq", pd.date_range("2024", periods=n, freq="D")
    yield "index-interval", pd.interval_range(0, n)
    yield "index-period", pd.period_range("2024", periods=n, freq="D")
    yield "offsets", [pd.offsets.MonthEnd(), pd.offsets.Day(2), pd.offsets.BusinessDay()]
    yield (
        "timestamp",
        [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timedelta("1h"), pd.NaT, pd.Period("2024-01", "M")],
    )
    with contextlib.suppress(ImportError):
        yield "frame-arrow", pd.DataFrame({"s": pd.array(list("abcdef"), dtype="string[pyarrow]")})


def numpy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np

    yield (
        "arrays",
        [
            np.arange(5),
            np.zeros((2, 3), np.float32),
            np.array([1 + 2j]),
            np.array([True]),
            np.array(["ab"]),
            np.array([b"ab"]),
        ],
    )
    yield "datetime", [np.array(["2024-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]")]
    yield "structured", np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    yield "object-array", np.array([1, "a", None], dtype=object)
    yield "scalars", [np.float64(1.5), np.int32(3), np.bool_(True), np.str_("x"), np.datetime64("2024-01-01")]
    yield "masked", np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    yield "random-state", np.random.RandomState(0)
    yield "generator", np.random.default_rng(0)
    yield "dtypes", [np.dtype("f8"), np.dtype("<U3"), np.dtype("M8[ns]")]
    yield "matrix", np.asmatrix([[1, 2], [3, 4]])


def scipy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np
    from scipy import interpolate, sparse, spatial, stats

    dense = np.eye(4)
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok"):
        yield f"sparse-{fmt}", sparse.csr_matrix(dense).asformat(fmt)
        yield f"sparse-array-{fmt}", sparse.csr_array(dense).asformat(fmt)
    yield "kdtree", spatial.KDTree(dense)
    yield "ckdtree", spatial.cKDTree(dense)
    xs = np.linspace(0, 1, 8)
    yield "cubic-spline", interpolate.CubicSpline(xs, xs**2)
    yield "interp1d", interpolate.interp1d(xs, xs**2)
    yield "bspline", interpolate.make_interp_spline(xs, xs**2)
    yield "frozen-norm", stats.norm(0, 1)
    yield "frozen-poisson", stats.poisson(3)


SOURCES: dict[str, Callable[[], Iterator[tuple[str, Any]]]] = {
    "scikit-learn": sklearn_objects,
    "boosting": boosting_objects,
    "statsmodels": statsmodels_objects,
    "pandas": pandas_objects,
    "numpy": numpy_objects,
    "scipy": scipy_objects,
}


def serialisations(obj: Any, folder: Path, stem: str) -> Iterator[Path]:
    import joblib

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = folder / f"{stem}.p{protocol}.pkl"
        try:
            path.write_bytes(pickle.dumps(obj, protocol=protocol))
        except Exception:  # objects some protocols cannot pickle
            continue
        yield path
    path = folder / f"{stem}.joblib"
    joblib.dump(obj, path)
    yield path


def collect() -> tuple[dict[str, set[str]], dict[str, str]]:
    seen: dict[str, set[str]] = {}
    refused: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for source, make in SOURCES.items():
            count = 0
            for index, (label, obj) in enumerate(make()):
                for path in serialisations(obj, folder, f"{source}-{index}"):
                    scan = _Scan(str(path))
                    scan.analyse(lambda path=path: open(path, "rb"), path.name, path.name)  # noqa: SIM115
                    if scan.findings.errors:
                        print(f"{label}: {scan.findings.errors}", file=sys.stderr)
                    for key in scan.findings.refs:
                        full = ".".join(key)
                        reason = dangerous_reason(*key)
                        if reason:
                            refused[full] = f"{reason} (in {label})"
                            continue
                        uses = scan.findings.uses.get(key, set()) or {"ref"}
                        seen.setdefault(full, set()).update(uses)
                    path.unlink()
                count += 1
            print(f"{source}: {count} objects", file=sys.stderr)
    for full, uses in list(seen.items()):
        if full.startswith("numpy._core."):  # numpy < 2 wrote the same objects as numpy.core
            seen.setdefault("numpy.core." + full[len("numpy._core.") :], set()).update(uses)
    for full in TORCH_CALLED:
        seen.setdefault(full, set()).add("call")
    for full in TORCH_REFERENCED:
        seen.setdefault(full, set()).add("ref")
    seen.setdefault("collections.OrderedDict", set()).update({"call", "new"})
    return seen, refused


def render(seen: dict[str, set[str]]) -> str:
    lines = [
        '"""Exact globals the supported libraries\' own pickles import, and how each is used.',
        "",
        "GENERATED by scripts/pickle_allowlist.py from real fitted objects (see its docstring); do not edit.",
        "A value lists the uses seen: ``new`` (instantiated without ``__init__``), ``call`` (called with",
        "arguments), ``ref`` (only referenced); referencing a listed name is always allowed.",
        '"""',
        "",
        "ALLOWED: dict[str, str] = {",
    ]
    order = ("new", "call", "ref")
    group = ""
    for full in sorted(seen):
        top = full.split(".")[0]
        if top != group:
            lines.append(f"    # {top}")
            group = top
        uses = " ".join(u for u in order if u in seen[full])
        lines.append(f"    {full!r}: {uses!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed list is stale")
    args = parser.parse_args()
    seen, refused = collect()
    for full, reason in sorted(refused.items()):
        print(f"not listed (dangerous): {full}: {reason}", file=sys.stderr)
    text = render(seen)
    if args.check:
        current = TARGET.read_text(encoding="utf-8")
        if current != text:
            print(f"{TARGET} is stale: run scripts/pickle_allowlist.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"{len(seen)} names written to {TARGET.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
