"""Which imported globals a model pickle may reference: the framework's own classes (``expected``), code
execution / file / network / process primitives (``dangerous``), or anything else (``unknown``).

A pickle runs code only through the globals it imports (GLOBAL / INST / STACK_GLOBAL) and the calls it
makes with them (REDUCE / NEWOBJ / OBJ / BUILD), so classifying those references is the whole test.
Framework prefixes are trusted wholesale *except* for their own gadgets (loaders, savers, test helpers
that ``exec`` strings) and for dotted attribute paths, which can walk from a trusted module into ``os``.
"""

from __future__ import annotations

import _compat_pickle
from dataclasses import dataclass
from typing import Any

EXPECTED = "expected"
UNKNOWN = "unknown"
DANGEROUS = "dangerous"
RANK = {EXPECTED: 0, UNKNOWN: 1, DANGEROUS: 2}

# Names that resolve to the same object: Python 2 spellings that protocols 0-2 write (``fix_imports``;
# the unpickler maps them back with the same tables) and C accelerator modules.
MODULE_ALIASES = {"_operator": "operator", "_functools": "functools", "_collections": "collections"}

FRAMEWORK_MODULES = (
    "sklearn",
    "numpy",
    "scipy",
    "pandas",
    "xgboost",
    "lightgbm",
    "catboost",
    "torch",
    "pyarrow",  # pandas' string and Arrow-backed columns pickle through pyarrow
)
EXPECTED_EXACT = {
    "builtins.set",
    "builtins.frozenset",
    "builtins.slice",
    "builtins.complex",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.object",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "builtins.bool",
    "builtins.range",
    "builtins.Ellipsis",
    "builtins.NotImplemented",
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "_codecs.encode",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.deque",
    "collections.Counter",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "joblib.numpy_pickle_compat.NDArrayWrapper",
    "joblib.numpy_pickle_compat.ZNDArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
}

DANGEROUS_MODULES = (
    "os",
    "posix",
    "nt",
    "subprocess",
    "_posixsubprocess",
    "runpy",
    "importlib",
    "imp",
    "zipimport",
    "pkgutil",
    "socket",
    "_socket",
    "socketserver",
    "ssl",
    "shutil",
    "sys",
    "pty",
    "webbrowser",
    "code",
    "codeop",
    "ctypes",
    "_ctypes",
    "marshal",
    "pickle",
    "_pickle",
    "cPickle",
    "dill",
    "cloudpickle",
    "multiprocessing",
    "_thread",
    "asyncio",
    "signal",
    "urllib",
    "urllib2",
    "urllib3",
    "http",
    "httplib",
    "requests",
    "ftplib",
    "smtplib",
    "telnetlib",
    "poplib",
    "imaplib",
    "nntplib",
    "xmlrpc",
    "pdb",
    "bdb",
    "cProfile",
    "profile",
    "timeit",
    "trace",
    "doctest",
    "idlelib",
    "IPython",
    "pip",
    "setuptools",
    "distutils",
    "ensurepip",
    "venv",
    "commands",
    "popen2",
)
DANGEROUS_EXACT = {
    "builtins.eval",
    "builtins.exec",
    "builtins.execfile",
    "builtins.compile",
    "builtins.open",
    "builtins.file",
    "builtins.__import__",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.globals",
    "builtins.locals",
    "builtins.vars",
    "builtins.input",
    "builtins.breakpoint",
    "builtins.reload",
    "builtins.apply",
    "types.FunctionType",
    "types.CodeType",
    "types.LambdaType",
    "types.MethodType",
    "io.open",
    "_io.open",
    "io.FileIO",
    "_io.FileIO",
    "codecs.open",
    "platform.popen",
}
# Gadgets inside otherwise trusted frameworks: nested unpicklers, file writers, string evaluators.
FRAMEWORK_DANGEROUS = (
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.ctypeslib",
    "numpy.lib.npyio",
    "numpy.lib._npyio_impl",
    "pandas.io.pickle",
    "pandas.read_pickle",
    "pandas.eval",
    "pandas.core.computation",
    "torch.hub",
    "torch.package",
    "torch.utils.cpp_extension",
    "torch.load",
    "torch.save",
    "torch.serialization.load",
    "torch.serialization.save",
    "scipy.LowLevelCallable",
    "scipy._lib._ccallback",
)
FRAMEWORK_UNKNOWN = (
    "pandas.io",
    "pandas.read_",
    "torch.jit",
    "torch._C",
    "torch.ops",
    "torch.serialization",
    "torch.storage._load_from_bytes",
    "numpy.fromfile",
    "numpy.memmap",
    "numpy.lib.format",
    "numpy.DataSource",
    "numpy.lib._datasource",
    "pyarrow.fs",
    "pyarrow.parquet",
    "pyarrow.csv",
    "pyarrow.json",
    "pyarrow.feather",
    "pyarrow.ipc",
    "pyarrow.dataset",
    "pyarrow.orc",
    "pyarrow.cffi",
    "pyarrow.jvm",
    "pyarrow.hdfs",
    "pyarrow.cuda",
    "pyarrow.flight",
    "pyarrow.lib.OSFile",
    "pyarrow.lib.MemoryMappedFile",
    "pyarrow.lib.memory_map",
    "pyarrow.lib.input_stream",
    "pyarrow.lib.output_stream",
    "pyarrow.lib.PyExtensionType",
)
# Framework functions that read or write files by name (leaf prefixes).
FILE_IO_PREFIXES = ("read_", "open_", "write_")
# Attribute names that turn any trusted module into a weapon (``numpy`` + ``os.system`` resolves!).
DANGEROUS_ATTRS = {
    "os",
    "sys",
    "subprocess",
    "builtins",
    "__builtins__",
    "__builtin__",
    "posix",
    "nt",
    "pickle",
    "marshal",
    "ctypes",
    "importlib",
    "shutil",
    "socket",
    "system",
    "popen",
    "Popen",
    "spawn",
    "eval",
    "exec",
    "execfile",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "load",
    "loads",
    "save",
    "savez",
    "savez_compressed",
    "savetxt",
    "tofile",
    "runstring",
    "run_path",
    "run_module",
    "import_module",
    "check_output",
    "check_call",
    "__globals__",
    "__subclasses__",
    "__code__",
    "__reduce__",
    "__reduce_ex__",
    "__setstate__",
    "__getattribute__",
    "__dict__",
    "__class__",
    "__bases__",
    "__mro__",
    "__init__",
    "__call__",
}
CONTEXTUAL = {"operator.attrgetter", "operator.methodcaller", "functools.partial", "functools.reduce"}


@dataclass
class GlobalRef:
    """One imported global. ``reason`` says why it got its class; ``location`` where it was seen first
    (a zip member, a nested pickle, a byte offset)."""

    module: str
    name: str
    classification: str
    reason: str = ""
    location: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


def _under(full: str, prefixes: tuple[str, ...] | set[str]) -> str:
    for prefix in prefixes:
        if (
            full == prefix
            or full.startswith(prefix + ".")
            or (prefix.endswith("_") and full.startswith(prefix))
        ):
            return prefix
    return ""


def normalise(module: str, name: str) -> tuple[str, str]:
    """The Python 3 module and name an unpickler would import for ``module``/``name``."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return MODULE_ALIASES.get(module, module), name


def classify_global(module: str, name: str) -> tuple[str, str]:
    """(classification, reason) of ``module.name`` on its own, before looking at how it is used."""
    module, name = normalise(module, name)
    full = f"{module}.{name}"
    if full in DANGEROUS_EXACT:
        return DANGEROUS, "runs code or touches files when called"
    hit = _under(module, DANGEROUS_MODULES)
    if hit:
        return DANGEROUS, f"{hit} gives process, file, network or interpreter access"
    framework = _under(module, FRAMEWORK_MODULES)
    if framework:
        parts = module.split(".") + name.split(".")
        bad = next((p for p in parts[1:] if p in DANGEROUS_ATTRS), "")
        if bad:
            return DANGEROUS, f"reaches {bad!r} through {framework} (attribute path to a dangerous object)"
        hit = _under(full, FRAMEWORK_DANGEROUS)
        if hit:
            return DANGEROUS, f"{hit} loads pickles, writes files or evaluates strings"
        hit = _under(full, FRAMEWORK_UNKNOWN)
        if hit:
            return UNKNOWN, f"{hit} reads files or code; not part of a saved model's state"
        if "." in name:
            return UNKNOWN, "dotted attribute path inside a framework module"
        if name.startswith(FILE_IO_PREFIXES):
            return UNKNOWN, "reads or writes files; not part of a saved model's state"
        return EXPECTED, f"{framework} class or helper"
    if full in EXPECTED_EXACT:
        return EXPECTED, "plain data type"
    if full in CONTEXTUAL:
        return UNKNOWN, "harmless alone, dangerous over dangerous arguments"
    if module == "__main__":
        return UNKNOWN, "defined in the training script (__main__): loading needs that code"
    return UNKNOWN, "not a known framework or data type"


def _strings(value: Any) -> list[str]:
    """The strings in a call's arguments, looking at most 200 values deep into nested tuples/lists."""
    found: list[str] = []
    todo, budget = [value], 200
    while todo and budget:
        item = todo.pop()
        budget -= 1
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            todo += list(item)[:budget]
    return found


def classify_call(module: str, name: str, args: Any, dangerous_args: list[str]) -> tuple[str, str] | None:
    """A stricter class for a contextual global, given its (symbolic) call arguments and the dangerous
    globals found inside them; None keeps the class it already has."""
    full = ".".join(normalise(module, name))
    if dangerous_args and full in CONTEXTUAL:
        return DANGEROUS, f"wraps {', '.join(dangerous_args)}"
    if full in ("operator.attrgetter", "operator.methodcaller"):
        names = [part for s in _strings(args) for part in s.split(".")]
        bad = [n for n in names if n in DANGEROUS_ATTRS or (n.startswith("__") and n.endswith("__"))]
        if bad:
            return DANGEROUS, f"looks up {', '.join(sorted(set(bad)))}"
    return None
