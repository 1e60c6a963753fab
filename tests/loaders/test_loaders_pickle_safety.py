"""The pickle safety scanner against a corpus of benign and malicious pickles made in the tests.

Malicious pickles are created by pickling objects whose ``__reduce__`` merely names a call, or assembled
opcode by opcode; they are only ever read by the scanner (and ``pickletools.dis``), never unpickled.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import random
import sys
import tracemalloc
from pathlib import Path

import joblib
import loaderfiles as lf
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from kitlab.loaders.pickle_safety import PickleReport, scan_pickle_cli, scan_pickle_file, scan_tree
from tests.support.layering import server_modules_loaded_by


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _classes(report: PickleReport) -> dict[str, str]:
    return {g.qualified: g.classification for g in report.globals}


@pytest.fixture(scope="module")
def estimator() -> LogisticRegression:
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) % 3})
    return LogisticRegression().fit(frame, (frame.a > 9).astype(int))


@pytest.mark.parametrize("protocol", range(6))
def test_os_system_via_reduce_is_dangerous_in_every_protocol(tmp_path: Path, protocol: int):
    path = _write(tmp_path / "evil.pkl", pickle.dumps(lf.SystemCall(), protocol=protocol))
    report = scan_pickle_file(path)
    assert report.verdict == "dangerous"
    assert report.format == "pickle"
    assert _classes(report)[f"{os.system.__module__}.system"] == "dangerous"


@pytest.mark.parametrize("protocol", range(6))
def test_real_estimator_is_safe_in_every_protocol(
    tmp_path: Path, estimator: LogisticRegression, protocol: int
):
    report = scan_pickle_file(_write(tmp_path / "model.pkl", pickle.dumps(estimator, protocol=protocol)))
    assert report.verdict == "safe", report
    assert report.root_class == "sklearn.linear_model._logistic.LogisticRegression"
    assert "feature_names_in_" in report.root_attributes
    assert "numpy.ndarray" in _classes(report) or "numpy.core.multiarray._reconstruct" in str(
        _classes(report)
    )


@pytest.mark.parametrize(
    ("payload", "global_name"),
    [(lf.EvalCall(), "builtins.eval"), (lf.PopenCall(), "subprocess.Popen")],
)
def test_eval_and_popen_are_dangerous(tmp_path: Path, payload: object, global_name: str):
    report = scan_pickle_file(_write(tmp_path / "x.pkl", pickle.dumps(payload, protocol=2)))
    assert report.verdict == "dangerous"
    assert _classes(report)[global_name] == "dangerous"


@pytest.mark.parametrize("protocol", [2, 4])
def test_nested_pickle_loads_is_flagged_and_its_payload_found(tmp_path: Path, protocol: int):
    report = scan_pickle_file(_write(tmp_path / "n.pkl", pickle.dumps(lf.NestedLoads(), protocol=protocol)))
    classes = _classes(report)
    assert report.verdict == "dangerous"
    assert any(name.endswith("pickle.loads") and cls == "dangerous" for name, cls in classes.items())
    inner = next(g for g in report.globals if g.name == "system")
    assert "nested pickle" in inner.location


def test_stack_global_names_resolved_through_the_memo(tmp_path: Path):
    # Module and name strings are memoised, then fetched back with BINGET before STACK_GLOBAL.
    data = (
        lf.proto(4)
        + lf.ustr("builtins")
        + lf.MEMOIZE
        + lf.ustr("exec")
        + lf.MEMOIZE
        + b"0"  # POP the name: only the memo keeps it
        + b"0"
        + lf.binget(0)
        + lf.binget(1)
        + lf.STACK_GLOBAL
        + lf.ustr("print(1)")
        + lf.TUPLE1
        + lf.REDUCE
        + lf.STOP
    )
    with open(os.devnull, "w") as sink:
        pickletools.dis(data, out=sink)  # well-formed, without running it
    report = scan_pickle_file(_write(tmp_path / "sg.pkl", data))
    assert _classes(report) == {"builtins.exec": "dangerous"}
    assert report.verdict == "dangerous"


def test_unresolvable_stack_global_is_never_safe(tmp_path: Path):
    # A memo entry that was never stored: CPython's load fails right there, before anything runs.
    data = lf.proto(4) + lf.binget(7) + lf.ustr("x") + lf.STACK_GLOBAL + lf.STOP
    assert scan_pickle_file(_write(tmp_path / "u.pkl", data)).verdict == "not-a-pickle"
    # A module name computed by a call (str(b"os", "ascii")): the pickle chooses what to import.
    computed = (
        lf.proto(4)
        + lf.glob("builtins", "str")
        + b"C\x02os"
        + lf.ustr("ascii")
        + lf.TUPLE2
        + lf.REDUCE
        + lf.ustr("system")
        + lf.STACK_GLOBAL
        + lf.STOP
    )
    report = scan_pickle_file(_write(tmp_path / "c.pkl", computed))
    assert report.verdict == "dangerous"
    assert "<computed>.STACK_GLOBAL" in report.named("dangerous")


def test_attribute_path_out_of_a_trusted_module_is_dangerous(tmp_path: Path):
    # Protocol 4 resolves dotted names attribute by attribute: numpy → numpy.os? → os.system.
    data = lf.proto(4) + lf.ustr("numpy") + lf.ustr("os.system") + lf.STACK_GLOBAL + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "p.pkl", data))
    assert report.verdict == "dangerous"


def test_attrgetter_of_dangerous_attribute_and_monkey_patching_build(tmp_path: Path):
    getter = lf.proto(2) + lf.glob("operator", "attrgetter") + lf.MARK + lf.ustr("__globals__") + lf.TUPLE
    getter += lf.REDUCE + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "g.pkl", getter))
    assert _classes(report)["operator.attrgetter"] == "dangerous"
    benign = lf.proto(2) + lf.glob("operator", "attrgetter") + lf.MARK + lf.ustr("real") + lf.TUPLE
    assert scan_pickle_file(_write(tmp_path / "b.pkl", benign + lf.REDUCE + lf.STOP)).verdict == "unknown"
    patch = lf.proto(2) + lf.glob("sklearn.base", "BaseEstimator") + lf.EMPTY_DICT
    patch += lf.ustr("predict") + lf.glob("collections", "Counter") + lf.SETITEM + lf.BUILD + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "m.pkl", patch))
    assert _classes(report)["sklearn.base.BaseEstimator"] == "dangerous"


def test_functools_partial_over_dangerous_callable(tmp_path: Path):
    data = lf.proto(2) + lf.glob("functools", "partial") + lf.MARK + lf.glob("builtins", "exec") + lf.TUPLE
    data += lf.REDUCE + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "f.pkl", data))
    assert _classes(report)["functools.partial"] == "dangerous"


def test_main_module_class_is_unknown(tmp_path: Path):
    data = lf.proto(2) + lf.glob("__main__", "MyModel") + lf.EMPTY_TUPLE + lf.NEWOBJ + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "c.pkl", data))
    assert report.verdict == "unknown"
    assert report.root_class == "__main__.MyModel"


def test_joblib_real_model_is_safe_plain_and_compressed(tmp_path: Path, estimator: LogisticRegression):
    for compress in (0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
        label = compress[0] if compress else ""
        path = tmp_path / f"model{label}.joblib"
        joblib.dump(estimator, path, compress=compress)
        report = scan_pickle_file(path)
        assert report.verdict == "safe", report
        assert report.format == ("joblib+" + label if label else "joblib")
        assert "joblib.numpy_pickle.NumpyArrayWrapper" in _classes(report)


def test_joblib_malicious_object_after_array_payload(tmp_path: Path):
    # The malicious object comes after 8 KB of raw array bytes: found only if the payload is skipped right.
    for compress in (0, ("gzip", 3)):
        path = tmp_path / "evil.joblib"
        joblib.dump(
            {"a": np.arange(1000.0), "b": np.array(["x", 1], dtype=object), "z": lf.SystemCall()},
            path,
            compress=compress,
        )
        report = scan_pickle_file(path)
        assert report.verdict == "dangerous", report
        assert not report.errors
        assert report.format.startswith("joblib")


def test_torch_zip_state_dict_and_malicious_variant(tmp_path: Path):
    safe = scan_pickle_file(lf.write_torch_zip(tmp_path / "w.pt", lf.torch_state_dict_pickle()))
    assert (safe.format, safe.verdict) == ("torch-zip", "safe")
    assert _classes(safe)["torch._utils._rebuild_tensor_v2"] == "expected"
    evil = scan_pickle_file(
        lf.write_torch_zip(tmp_path / "e.pt", lf.torch_state_dict_pickle(lf.system_call()))
    )
    assert (evil.format, evil.verdict) == ("torch-zip", "dangerous")
    assert any(g.location.startswith("archive/data.pkl") for g in evil.globals if g.name == "system")


def test_torch_legacy_stream_and_malicious_variant(tmp_path: Path):
    safe = scan_pickle_file(lf.write_torch_legacy(tmp_path / "w.pth", lf.torch_state_dict_pickle()))
    assert (safe.format, safe.verdict, safe.errors) == ("torch-legacy", "safe", [])
    assert safe.root_class == "collections.OrderedDict"
    evil = scan_pickle_file(
        lf.write_torch_legacy(tmp_path / "e.pth", lf.torch_state_dict_pickle(lf.system_call()))
    )
    assert evil.verdict == "dangerous"


def test_several_pickles_in_one_file_are_all_walked(tmp_path: Path):
    data = pickle.dumps([1, 2], protocol=4) + pickle.dumps(lf.SystemCall(), protocol=4)
    assert scan_pickle_file(_write(tmp_path / "two.pkl", data)).verdict == "dangerous"


def test_numpy_object_arrays_hold_pickles(tmp_path: Path):
    np.save(tmp_path / "obj.npy", np.array([lf.SystemCall()], dtype=object), allow_pickle=True)
    assert scan_pickle_file(tmp_path / "obj.npy").verdict == "dangerous"
    np.save(tmp_path / "plain.npy", np.arange(5))
    assert scan_pickle_file(tmp_path / "plain.npy").verdict == "not-a-pickle"


def test_truncated_pickle_is_unknown_not_safe(tmp_path: Path, estimator: LogisticRegression):
    data = pickle.dumps(estimator, protocol=4)
    report = scan_pickle_file(_write(tmp_path / "cut.pkl", data[: len(data) // 2]))
    assert report.verdict == "unknown"
    assert report.errors


def test_non_pickles_are_recognised_by_content(tmp_path: Path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "README.md").write_text("# hello\n")
    lf.write_safetensors(tmp_path / "m.safetensors")
    for name in ("data.csv", "README.md", "m.safetensors"):
        assert scan_pickle_file(tmp_path / name).verdict == "not-a-pickle"


def test_scan_tree_finds_pickles_by_content_not_extension(tmp_path: Path, estimator: LogisticRegression):
    (tmp_path / "sub").mkdir()
    joblib.dump(estimator, tmp_path / "sub" / "weights.dat")
    _write(tmp_path / "innocent.txt", pickle.dumps(lf.SystemCall(), protocol=0))
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    lf.write_torch_zip(tmp_path / "ckpt", lf.torch_state_dict_pickle())
    reports = {Path(r.path).name: r for r in scan_tree(tmp_path)}
    assert set(reports) == {"weights.dat", "innocent.txt", "ckpt"}
    assert reports["innocent.txt"].verdict == "dangerous"
    assert reports["weights.dat"].format == "joblib"
    assert reports["ckpt"].format == "torch-zip"


def test_cli_text_and_exit_codes(tmp_path: Path, estimator: LogisticRegression):
    joblib.dump(estimator, tmp_path / "ok.joblib")
    _write(tmp_path / "evil.pkl", pickle.dumps(lf.SystemCall(), protocol=2))
    _write(
        tmp_path / "odd.pkl", lf.proto(2) + lf.glob("mypkg", "Thing") + lf.EMPTY_TUPLE + lf.NEWOBJ + lf.STOP
    )
    text, code = scan_pickle_cli([tmp_path / "ok.joblib"])
    assert code == 0
    assert "SAFE (joblib)" in text
    text, code = scan_pickle_cli([tmp_path / "ok.joblib", tmp_path / "odd.pkl"])
    assert code == 1
    assert "unknown   mypkg.Thing" in text
    text, code = scan_pickle_cli([tmp_path])
    assert code == 2
    assert "DANGEROUS" in text
    assert "system" in text
    text, code = scan_pickle_cli([tmp_path / "missing.pkl"])
    assert code == 1
    assert "no such file" in text


def _scan_with_peak(path: Path) -> tuple[PickleReport, int]:
    """The scan's report and the most memory Python held while it ran (tracemalloc's peak, bytes)."""
    tracemalloc.start()
    try:
        report = scan_pickle_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, peak


def test_huge_joblib_is_scanned_with_flat_memory(tmp_path: Path):
    path = tmp_path / "big.joblib"
    joblib.dump({"weights": np.ones(50 * 1024 * 1024 // 8)}, path)
    assert path.stat().st_size > 50 * 1024 * 1024
    report, peak = _scan_with_peak(path)
    assert report.verdict == "safe", report
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_huge_raw_pickle_bytes_are_skipped_not_kept(tmp_path: Path):
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps(np.ones(4 * 1024 * 1024), protocol=4))  # a 32 MB BINBYTES8 argument
    report, peak = _scan_with_peak(path)
    assert report.verdict == "safe"
    assert peak < 10 * 1024 * 1024


def test_self_referencing_arguments_do_not_blow_up(tmp_path: Path):
    # A list holding itself 255 times, passed to functools.partial: the argument check must stay bounded.
    data = lf.proto(2) + lf.glob("functools", "partial") + lf.EMPTY_LIST + lf.binput(0) + lf.MARK
    data += lf.binget(0) * 255 + b"e" + lf.TUPLE1 + lf.REDUCE + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "loop.pkl", data))
    # functools.partial is on the allowlist (scikit-learn's HistGradientBoosting pickles one): building
    # a partial runs nothing; calling one would be an indirect call, never safe.
    assert _classes(report) == {"functools.partial": "expected"}
    called = data[:-1] + lf.EMPTY_TUPLE + lf.REDUCE + lf.STOP
    assert scan_pickle_file(_write(tmp_path / "called.pkl", called)).verdict == "unknown"


def test_library_never_imports_the_server():
    assert server_modules_loaded_by("import kitlab.loaders.pickle_safety, kitlab.loaders.notebook") == []


def test_scanning_never_imports_what_a_pickle_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A module that leaves a mark when imported: the scanner must classify it without importing it.
    canary = tmp_path / "imported.txt"
    (tmp_path / "kitlab_canary_mod.py").write_text(f"open({str(canary)!r}, 'w').close()\nclass X: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    data = lf.proto(2) + lf.glob("kitlab_canary_mod", "X") + lf.EMPTY_TUPLE + lf.NEWOBJ + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "c.pkl", data))
    assert report.verdict == "unknown"
    assert not canary.exists()
    assert "kitlab_canary_mod" not in sys.modules


def test_corrupted_pickles_give_reports_not_exceptions(tmp_path: Path, estimator: LogisticRegression):
    seeds = [pickle.dumps(estimator, protocol=p) for p in (0, 2, 5)] + [
        pickle.dumps(lf.SystemCall(), protocol=4),
        lf.torch_state_dict_pickle(),
    ]
    joblib.dump(estimator, tmp_path / "seed.joblib", compress=("zlib", 3))
    seeds.append((tmp_path / "seed.joblib").read_bytes())
    lf.write_torch_zip(tmp_path / "seed.pt", lf.torch_state_dict_pickle())
    seeds.append((tmp_path / "seed.pt").read_bytes())
    rng = random.Random(0)
    target = tmp_path / "fuzz.bin"
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(data))
            data[i : i + rng.randint(0, 3)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3)))
        target.write_bytes(bytes(data))
        report = scan_pickle_file(target)
        assert report.verdict in ("safe", "unknown", "dangerous", "not-a-pickle")


@pytest.mark.parametrize(
    "data",
    [
        b"(S'echo pwned'\nios\nsystem\n.",  # INST (protocol 0)
        b"(cos\nsystem\nS'echo pwned'\no.",  # OBJ (protocol 1)
        b"cbuiltins\nexec\n(Vprint(1)\ntR.",  # GLOBAL + REDUCE, raw-unicode string
    ],
    ids=["inst", "obj", "global-reduce"],
)
def test_protocol_0_and_1_call_opcodes(tmp_path: Path, data: bytes):
    with open(os.devnull, "w") as sink:
        pickletools.dis(data, out=sink)
    report = scan_pickle_file(_write(tmp_path / "old.bin", data))
    assert report.verdict == "dangerous"


def test_extension_registry_reference_is_unknown(tmp_path: Path):
    report = scan_pickle_file(_write(tmp_path / "ext.pkl", lf.proto(2) + b"\x82\x07" + lf.STOP))
    assert report.verdict == "unknown"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sklearn.utils._testing", "assert_run_python_script_without_output"),
        ("pandas", "to_pickle"),
        ("numpy", "loadtxt"),
        ("scipy.io", "savemat"),
        ("torch.utils.cpp_extension", "load_inline"),
        ("torch.storage", "_load_from_bytes"),
        ("posixpath", "os.system"),
        ("tempfile", "_os.system"),
        ("logging.config", "dictConfig"),
        ("pydoc", "pipepager"),
    ],
)
def test_issue_13_gadgets_inside_trusted_trees_are_dangerous(tmp_path: Path, module: str, name: str):
    data = lf.proto(4) + lf.ustr(module) + lf.ustr(name) + lf.STACK_GLOBAL + lf.EMPTY_TUPLE + lf.REDUCE
    report = scan_pickle_file(_write(tmp_path / "g.pkl", data + lf.STOP))
    assert report.verdict == "dangerous", report


def test_only_exact_names_are_trusted_not_module_trees(tmp_path: Path):
    # A name under sklearn that no sklearn pickle uses is unknown, not safe.
    data = lf.proto(2) + lf.glob("sklearn.utils", "gen_batches") + lf.EMPTY_TUPLE + lf.REDUCE + lf.STOP
    report = scan_pickle_file(_write(tmp_path / "u.pkl", data))
    assert report.verdict == "unknown"
    assert _classes(report) == {"sklearn.utils.gen_batches": "unknown"}


def test_time_zone_frames_are_safe_in_every_protocol(tmp_path: Path):
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3, tz="Europe/Berlin")})
    for protocol in range(6):
        report = scan_pickle_file(
            _write(tmp_path / f"tz{protocol}.pkl", pickle.dumps(frame, protocol=protocol))
        )
        assert report.verdict == "safe", (protocol, report.named("unknown"), report.notes)


def test_a_listed_class_called_in_a_new_way_is_unknown(tmp_path: Path):
    # LightGBM's pickles instantiate Booster without __init__; calling it with a file name is not that.
    ok = lf.proto(2) + lf.glob("lightgbm.basic", "Booster") + lf.EMPTY_TUPLE + lf.NEWOBJ + lf.STOP
    called = lf.proto(2) + lf.glob("lightgbm.basic", "Booster") + lf.ustr("/etc/passwd") + lf.TUPLE1
    called += lf.REDUCE + lf.STOP
    assert scan_pickle_file(_write(tmp_path / "ok.pkl", ok)).verdict == "safe"
    assert scan_pickle_file(_write(tmp_path / "called.pkl", called)).verdict == "unknown"


@pytest.mark.parametrize(
    "variant",
    ["frame-first", "unicode-first", "junk-after-reduce", "overlong-line-after", "pkl.zst", "pkl.gz"],
)
def test_files_loaders_execute_are_never_not_a_pickle(tmp_path: Path, variant: str):
    import gzip

    import zstandard

    body = lf.ustr("os") + lf.ustr("system") + lf.STACK_GLOBAL + lf.ustr("true") + lf.TUPLE1 + lf.REDUCE
    data = {
        "frame-first": b"\x95" + len(body + b".").to_bytes(8, "little") + body + b".",
        "unicode-first": body + b".",
        "junk-after-reduce": b"cos\nsystem\n(S'true'\ntR\xff\xff",
        "overlong-line-after": b"cos\nsystem\n(S'true'\ntR0S'" + b"A" * 100_000 + b"\n.",
        "pkl.zst": zstandard.ZstdCompressor().compress(lf.proto(4) + body + b"."),
        "pkl.gz": gzip.compress(b"cos\nsystem\n(S'true'\ntR."),
    }[variant]
    report = scan_pickle_file(_write(tmp_path / f"x.{variant}", data))
    assert report.verdict == "dangerous", report


def test_torch_zip_with_two_data_pkl_members_reads_both(tmp_path: Path):
    import warnings
    import zipfile

    path = tmp_path / "dup.pt"
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zf.writestr("archive/data.pkl", lf.proto(2) + lf.system_call() + lf.STOP)
        zf.writestr("archive/data.pkl", lf.torch_state_dict_pickle())
    report = scan_pickle_file(path)
    assert (report.format, report.verdict) == ("torch-zip", "dangerous")
