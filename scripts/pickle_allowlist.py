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
import json
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
    """Every estimator all_estimators lists, fitted on binary numbers, multiclass string labels with a
    DataFrame (feature names) and a regression target, when it accepts them."""
    import numpy as np
    import pandas as pd
    from sklearn.base import is_classifier, is_regressor
    from sklearn.utils.discovery import all_estimators

    x, y, target = _xy()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    colours = np.array(["red", "green", "blue"])[(x[:, 2] * 3).astype(int)]
    for name, cls in all_estimators():
        for data, labels in ((x, y), (frame, colours), (np.abs(x), target), (frame, None)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    est = cls()
                    if labels is None or not (is_classifier(est) or is_regressor(est)):
                        est.fit(np.abs(data), labels if labels is not None else y)
                    elif is_regressor(est) and labels is colours:
                        continue
                    else:
                        est.fit(np.abs(data), labels)
                except Exception:  # estimators that need arguments or other data
                    continue
            yield f"sklearn {name} {type(data).__name__}", est
    yield from sklearn_composites()


def sklearn_composites() -> Iterator[tuple[str, Any]]:
    import numpy as np
    import pandas as pd
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
    from sklearn.covariance import EllipticEnvelope
    from sklearn.ensemble import (
        BaggingClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        IsolationForest,
        RandomForestClassifier,
        StackingClassifier,
        VotingClassifier,
    )
    from sklearn.feature_extraction import DictVectorizer, FeatureHasher
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import (
        GridSearchCV,
        GroupKFold,
        KFold,
        LeaveOneOut,
        RandomizedSearchCV,
        ShuffleSplit,
        StratifiedKFold,
        TimeSeriesSplit,
    )
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier, LocalOutlierFactor
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        LabelBinarizer,
        LabelEncoder,
        MultiLabelBinarizer,
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
        TargetEncoder,
    )
    from sklearn.svm import OneClassSVM
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
        yield (
            "selector",
            make_pipeline(
                ColumnTransformer([("n", StandardScaler(), make_column_selector(dtype_include="number"))]),
                LogisticRegression(),
            ).fit(frame[["num"]], y),
        )
        splitters = (
            KFold(2),
            StratifiedKFold(2),
            ShuffleSplit(2),
            GroupKFold(2),
            TimeSeriesSplit(2),
            LeaveOneOut(),
        )
        for cv in splitters:
            extra = {"groups": np.arange(60) % 3} if isinstance(cv, GroupKFold) else {}
            yield (
                f"cv-{type(cv).__name__}",
                GridSearchCV(LogisticRegression(), {"C": [1]}, cv=cv).fit(x, y, **extra),
            )
            if not isinstance(cv, StratifiedKFold):
                regression = GridSearchCV(LinearRegression(), {"fit_intercept": [True]}, cv=cv)
                yield f"cv-reg-{type(cv).__name__}", regression.fit(x, target, **extra)
        categorical = frame[["num", "cat"]].astype({"cat": "category"})
        yield (
            "hgb-categorical",
            HistGradientBoostingClassifier(max_iter=3, categorical_features="from_dtype").fit(categorical, y),
        )
        yield "hgb-multiclass", HistGradientBoostingClassifier(max_iter=3).fit(x, (x[:, 0] * 3).astype(int))
        yield "gb-multiclass", GradientBoostingClassifier(n_estimators=3).fit(x, (x[:, 0] * 3).astype(int))
        yield "dict-vectorizer", DictVectorizer().fit([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
        yield "feature-hasher", FeatureHasher(8).fit([{"a": 1}])
        yield "label-encoder", LabelEncoder().fit(["a", "b"])
        yield "label-binarizer", LabelBinarizer().fit(["a", "b", "c"])
        yield "multilabel", MultiLabelBinarizer().fit([["a"], ["b", "c"]])
        yield "target-encoder", TargetEncoder().fit(frame[["cat"]], y)
        yield "isolation-forest", IsolationForest(n_estimators=3).fit(x)
        yield "one-class-svm", OneClassSVM().fit(x)
        yield "lof", LocalOutlierFactor(novelty=True).fit(x)
        yield "elliptic", EllipticEnvelope().fit(x)


def boosting_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np
    import pandas as pd

    x, y, target = _xy()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    multi = (x[:, 2] * 3).astype(int)
    groups = {"qid": np.repeat(np.arange(6), 10)}
    try:
        import xgboost as xgb

        for data in (x, frame):
            yield "xgb-classifier", xgb.XGBClassifier(n_estimators=3).fit(data, y)
            yield "xgb-multiclass", xgb.XGBClassifier(n_estimators=2).fit(data, multi)
            yield "xgb-regressor", xgb.XGBRegressor(n_estimators=3).fit(data, target)
            yield "xgb-rf-classifier", xgb.XGBRFClassifier(n_estimators=2).fit(data, y)
            yield "xgb-rf-regressor", xgb.XGBRFRegressor(n_estimators=2).fit(data, target)
            yield "xgb-ranker", xgb.XGBRanker(n_estimators=2).fit(data, multi, **groups)
        yield "xgb-booster", xgb.train({}, xgb.DMatrix(x, label=y), 3)
        yield "xgb-dmatrix-free-booster", xgb.XGBClassifier(n_estimators=2).fit(x, y).get_booster()
    except ImportError:
        print("xgboost not installed: skipped", file=sys.stderr)
    try:
        import lightgbm as lgb

        for data in (x, frame):
            yield "lgbm-classifier", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(data, y)
            yield "lgbm-multiclass", lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(data, multi)
            yield "lgbm-regressor", lgb.LGBMRegressor(n_estimators=3, verbose=-1).fit(data, target)
            yield "lgbm-ranker", lgb.LGBMRanker(n_estimators=2, verbose=-1).fit(data, multi, group=[10] * 6)
        yield "lgbm-booster", lgb.train({"verbose": -1}, lgb.Dataset(x, label=y), 3)
    except ImportError:
        print("lightgbm not installed: skipped", file=sys.stderr)
    try:
        import catboost

        common = {"iterations": 3, "verbose": 0, "allow_writing_files": False}
        for data in (x, frame):
            yield "catboost-classifier", catboost.CatBoostClassifier(**common).fit(data, y)
            yield (
                "catboost-multiclass",
                catboost.CatBoostClassifier(loss_function="MultiClass", **common).fit(data, multi),
            )
            yield "catboost-regressor", catboost.CatBoostRegressor(**common).fit(data, target)
            yield (
                "catboost-ranker",
                catboost.CatBoostRanker(**common).fit(data, multi, group_id=groups["qid"]),
            )
            yield (
                "catboost-plain",
                catboost.CatBoost({"iterations": 3, "verbose": 0, "allow_writing_files": False}).fit(data, y),
            )
    except ImportError:
        print("catboost not installed: skipped", file=sys.stderr)


def statsmodels_objects() -> Iterator[tuple[str, Any]]:
    try:
        import statsmodels.api as sm
        import statsmodels.formula.api as smf  # noqa: F401 - formula results pickle patsy objects
        from statsmodels.tsa.api import (
            ARIMA,
            SARIMAX,
            VAR,
            AutoReg,
            ExponentialSmoothing,
            Holt,
            SimpleExpSmoothing,
        )
        from statsmodels.tsa.statespace.structural import UnobservedComponents
    except ImportError:
        print("statsmodels not installed: skipped", file=sys.stderr)
        return
    import numpy as np
    import pandas as pd

    x, y, target = _xy()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    counts = (x[:, 0] * 5).astype(int)
    multi = (x[:, 2] * 3).astype(int)
    index = pd.date_range("2020-01-01", periods=60, freq="MS")
    series = pd.Series(np.cumsum(x[:, 0]) + 10, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for exog in (sm.add_constant(x), sm.add_constant(frame)):
            for label, make in (
                ("ols", lambda e: sm.OLS(target, e).fit()),
                ("ols-hc3", lambda e: sm.OLS(target, e).fit(cov_type="HC3")),
                ("wls", lambda e: sm.WLS(target, e).fit()),
                ("gls", lambda e: sm.GLS(target, e).fit()),
                ("rlm", lambda e: sm.RLM(target, e).fit()),
                ("quantreg", lambda e: sm.QuantReg(target, e).fit(q=0.5)),
                ("logit", lambda e: sm.Logit(y, e).fit(disp=0)),
                ("probit", lambda e: sm.Probit(y, e).fit(disp=0)),
                ("mnlogit", lambda e: sm.MNLogit(multi, e).fit(disp=0)),
                ("poisson", lambda e: sm.Poisson(counts, e).fit(disp=0)),
                ("negbin", lambda e: sm.NegativeBinomial(counts, e).fit(disp=0)),
            ):
                try:
                    yield f"sm-{label}", make(exog)
                except Exception:  # a model that does not converge on this data
                    continue
            for family in (
                sm.families.Binomial(),
                sm.families.Poisson(),
                sm.families.Gaussian(),
                sm.families.Gamma(sm.families.links.Log()),
                sm.families.NegativeBinomial(),
                sm.families.Tweedie(),
            ):
                response = y if isinstance(family, sm.families.Binomial) else counts + 1
                with contextlib.suppress(Exception):
                    yield f"sm-glm-{type(family).__name__}", sm.GLM(response, exog, family=family).fit()
        for data in (series, series.to_numpy()):
            yield "sm-arima", ARIMA(data, order=(1, 0, 0)).fit()
            yield "sm-sarimax", SARIMAX(data, order=(1, 0, 0)).fit(disp=0)
            yield "sm-autoreg", AutoReg(data, 2).fit()
            yield "sm-ses", SimpleExpSmoothing(data, initialization_method="estimated").fit()
            yield "sm-holt", Holt(data, initialization_method="estimated").fit()
            yield "sm-hw", ExponentialSmoothing(data, trend="add").fit()
            yield "sm-uc", UnobservedComponents(data, "local level").fit(disp=0)
        yield "sm-var", VAR(frame[["a", "b"]].set_axis(index)).fit(1)


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
    for tz in (
        "Europe/Paris",
        "UTC",
        zoneinfo.ZoneInfo("America/New_York"),
        datetime.timezone.utc,
        datetime.timezone(datetime.timedelta(hours=2)),
    ):
        yield "frame-tz", pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, tz=tz)})
        yield "timestamp-tz", pd.Timestamp("2024-01-01", tz=tz)
    yield "frame-categorical", pd.DataFrame({"c": pd.Categorical(list("abcabc"), ordered=True)})
    yield "series-categorical-int", pd.Series(pd.Categorical([1, 2, 1]))
    for freq in ("D", "W", "M", "Q", "Y", "h", "min", "s", "B"):
        with contextlib.suppress(Exception):
            yield "frame-period", pd.DataFrame({"p": pd.period_range("2024-01", periods=n, freq=freq)})
    for freq in (
        "D",
        "h",
        "min",
        "s",
        "ms",
        "us",
        "ns",
        "W-SUN",
        "MS",
        "ME",
        "QS",
        "QE",
        "YS",
        "YE",
        "B",
        "BMS",
        "BME",
        "SMS",
        "SME",
        "C",
        "BQS",
        "BYS",
        "bh",
        "cbh",
        "WOM-1MON",
        "LWOM-1MON",
    ):
        with contextlib.suppress(Exception):
            yield "index-datetime", pd.date_range("2024-01-01", periods=n, freq=freq)
    for name in dir(pd.offsets):
        cls = getattr(pd.offsets, name)
        if isinstance(cls, type) and issubclass(cls, pd.offsets.BaseOffset):
            with contextlib.suppress(Exception):
                yield f"offset-{name}", cls()
    for closed in ("left", "right", "both", "neither"):
        yield "frame-interval", pd.DataFrame({"iv": pd.interval_range(0, n, closed=closed)})
    yield "interval-datetime", pd.interval_range(pd.Timestamp("2024"), periods=n, freq="D")
    yield "frame-timedelta", pd.DataFrame({"d": pd.to_timedelta(range(n), unit="h")})
    for dtype in (
        "Int8",
        "Int16",
        "Int32",
        "Int64",
        "UInt8",
        "UInt16",
        "UInt32",
        "UInt64",
        "Float32",
        "Float64",
        "boolean",
        "string",
        "string[python]",
    ):
        yield (
            f"array-{dtype}",
            pd.DataFrame(
                {
                    "v": pd.array(
                        [1, None] * 3
                        if dtype != "boolean" and "string" not in dtype
                        else ([True, None] * 3 if dtype == "boolean" else ["a", None] * 3),
                        dtype=dtype,
                    )
                }
            ),
        )
    with contextlib.suppress(ImportError):
        yield "frame-arrow", pd.DataFrame({"s": pd.array(list("abcdef"), dtype="string[pyarrow]")})
        import pyarrow as pa

        yield "frame-arrow-dtype", pd.DataFrame({"i": pd.array([1, 2], dtype=pd.ArrowDtype(pa.int64()))})
    yield "frame-sparse", pd.DataFrame({"sp": pd.arrays.SparseArray([0, 0, 1, 0, 2, 0])})
    yield "frame-sparse-float", pd.Series(pd.arrays.SparseArray([0.0, 1.5, 0.0]))
    yield (
        "frame-multiindex",
        pd.DataFrame({"v": range(n)}, index=pd.MultiIndex.from_product([["x", "y"], [1, 2, 3]])),
    )
    yield (
        "frame-multiindex-columns",
        pd.DataFrame(np.zeros((2, 4)), columns=pd.MultiIndex.from_product([["a", "b"], [1, 2]])),
    )
    yield "index-categorical", pd.CategoricalIndex(list("abcabc"))
    yield "index-interval", pd.interval_range(0, n)
    yield "index-period", pd.period_range("2024", periods=n, freq="D")
    yield "index-timedelta", pd.timedelta_range("1h", periods=n)
    yield "index-range", pd.RangeIndex(5)
    yield "index-uint", pd.Index(np.arange(3, dtype=np.uint16))
    yield (
        "scalars",
        [
            pd.Timestamp("2024-01-01"),
            pd.Timedelta("1h"),
            pd.NaT,
            pd.NA,
            pd.Period("2024-01", "M"),
            pd.Interval(0, 1),
        ],
    )
    yield (
        "groupby-result",
        pd.DataFrame({"k": list("aabbcc"), "v": range(6)}).groupby("k").agg(["sum", "mean"]),
    )
    yield (
        "pivot",
        pd.DataFrame({"a": list("xxyy"), "b": list("pqpq"), "v": range(4)}).pivot_table(
            index="a", columns="b", values="v"
        ),
    )


def numpy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np

    for dtype in (
        "f2",
        "f4",
        "f8",
        "f16",
        "i1",
        "i2",
        "i4",
        "i8",
        "u1",
        "u2",
        "u4",
        "u8",
        "c8",
        "c16",
        "?",
        "U3",
        "S3",
        "V4",
        "M8[ns]",
        "m8[s]",
        "M8[D]",
    ):
        yield f"array-{dtype}", np.zeros((2, 2), dtype=dtype)
        yield f"scalar-{dtype}", np.zeros(1, dtype=dtype)[0]
    yield "fortran", np.asfortranarray(np.zeros((3, 3)))
    yield "structured", np.array([(1, 2.0, "x")], dtype=[("a", "i4"), ("b", "f8"), ("c", "U2")])
    yield "nested-structured", np.zeros(2, dtype=[("p", [("x", "f4"), ("y", "f4")]), ("n", "i8", (3,))])
    yield "object-array", np.array([1, "a", None, (1, 2)], dtype=object)
    yield "masked", np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    yield "record", np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    yield "matrix", np.asmatrix([[1, 2], [3, 4]])
    yield "random-state", np.random.RandomState(0)
    for bit in ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64"):
        generator = np.random.Generator(getattr(np.random, bit)(0))
        yield f"generator-{bit}", generator
        yield f"bitgen-{bit}", generator.bit_generator
    yield "seed-sequence", np.random.SeedSequence(3)
    yield "dtypes", [np.dtype("f8"), np.dtype("<U3"), np.dtype("M8[ns]"), np.dtype([("a", "i4")])]
    yield "ufuncs", [np.log1p, np.expm1, np.sqrt, np.exp, np.log, np.square, np.abs]


def scipy_objects() -> Iterator[tuple[str, Any]]:
    import numpy as np
    from scipy import interpolate, sparse, spatial, stats

    dense = np.eye(4)
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok"):
        yield f"sparse-{fmt}", sparse.csr_matrix(dense).asformat(fmt)
        yield f"sparse-array-{fmt}", sparse.csr_array(dense).asformat(fmt)
    yield "kdtree", spatial.KDTree(dense)
    yield "ckdtree", spatial.cKDTree(dense)
    yield "rotation", spatial.transform.Rotation.from_euler("z", 30, degrees=True)
    xs = np.linspace(0, 1, 8)
    ys = xs**2
    for label, make in (
        ("cubic-spline", lambda: interpolate.CubicSpline(xs, ys)),
        ("interp1d", lambda: interpolate.interp1d(xs, ys)),
        ("bspline", lambda: interpolate.make_interp_spline(xs, ys)),
        ("pchip", lambda: interpolate.PchipInterpolator(xs, ys)),
        ("akima", lambda: interpolate.Akima1DInterpolator(xs, ys)),
        ("univariate-spline", lambda: interpolate.UnivariateSpline(xs, ys)),
        ("ppoly", lambda: interpolate.PPoly.from_spline(interpolate.splrep(xs, ys))),
        ("rbf", lambda: interpolate.RBFInterpolator(xs[:, None], ys)),
        ("regular-grid", lambda: interpolate.RegularGridInterpolator((xs,), ys)),
    ):
        with contextlib.suppress(Exception):
            yield label, make()
    for name in stats._continuous_distns._distn_names:
        dist = getattr(stats, name)
        with contextlib.suppress(Exception):
            yield f"frozen-{name}", dist(*([1.5] * dist.numargs))
    for name in stats._discrete_distns._distn_names:
        dist = getattr(stats, name)
        with contextlib.suppress(Exception):
            yield f"frozen-{name}", dist(*([0.5] * dist.numargs))
    yield "kde", stats.gaussian_kde(np.random.default_rng(0).random(20))


def python_objects() -> Iterator[tuple[str, Any]]:
    """Plain Python data that models and their metadata carry."""
    import collections
    import datetime
    import decimal
    import fractions
    import re

    now = datetime.datetime(2024, 5, 17, 12, 30, tzinfo=datetime.timezone.utc)
    yield (
        "datetimes",
        [now, now.date(), now.time(), datetime.timedelta(hours=1), datetime.datetime(2024, 1, 1)],
    )
    yield "timezone-offset", datetime.timezone(datetime.timedelta(hours=-3), "BRT")
    yield "numbers", [decimal.Decimal("1.5"), fractions.Fraction(1, 3), complex(1, 2), 2**100, float("nan")]
    yield (
        "containers",
        [
            collections.OrderedDict(a=1),
            collections.defaultdict(list, {"a": [1]}),
            collections.deque([1, 2], maxlen=5),
            collections.Counter("aab"),
            {1, 2},
            frozenset({3}),
            bytearray(b"xy"),
            b"raw",
            range(3),
            slice(1, 5, 2),
            (1, "t"),
            {"nested": {"deep": [None, True]}},
        ],
    )
    yield "regex", re.compile(r"\w+", re.IGNORECASE)
    yield "ellipsis", [Ellipsis, NotImplemented]


SOURCES: dict[str, Callable[[], Iterator[tuple[str, Any]]]] = {
    "python": python_objects,
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
        lines.append(f"    {json.dumps(full)}: {json.dumps(uses)},")  # as ruff format writes it
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
