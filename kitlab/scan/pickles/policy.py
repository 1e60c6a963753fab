"""Which imported globals a model pickle may reference, by exact name.

A pickle runs code only through the globals it imports (GLOBAL / INST / STACK_GLOBAL) and the calls it
makes with them (REDUCE / NEWOBJ / OBJ / INST / BUILD), so classifying those references is the whole test:

- ``expected``: on the reviewed allowlist (``allowlist.py``), a list of exact names built from the
  pickles the libraries themselves write (``scripts/pickle_allowlist.py`` pickles real fitted objects and
  records every global they import and *how* each is used: instantiated without ``__init__``
  (``new``: copyreg / NEWOBJ), called with arguments (``call``), or only referenced as a value
  (``ref``). A listed name used in a way its library never uses it is not expected.
- ``dangerous``: a known code-execution, file, network, import or process primitive, directly or through
  a wrapper (an attribute path such as ``posixpath`` + ``os.system``, a module name computed at load
  time, a framework's own loaders, savers, test helpers and string evaluators).
- ``unknown``: everything else. Nothing is trusted by module prefix.
"""

from __future__ import annotations

import _compat_pickle
from dataclasses import dataclass
from typing import Any

from kitlab.scan.pickles.allowlist import ALLOWED

EXPECTED = "expected"
UNKNOWN = "unknown"
DANGEROUS = "dangerous"
RANK = {EXPECTED: 0, UNKNOWN: 1, DANGEROUS: 2}
USES = ("new", "call", "ref")

# Names that resolve to the same object: Python 2 spellings that protocols 0-2 write (``fix_imports``;
# the unpickler maps them back with the same tables) and C accelerator modules.
MODULE_ALIASES = {"_operator": "operator", "_functools": "functools", "_collections": "collections"}

# Whole modules (and their submodules) that reach processes, files, the network, the interpreter or the
# import system: nothing in them belongs in a model's state.
DANGEROUS_MODULES = (
    "os",
    "posix",
    "nt",
    "posixpath",
    "ntpath",
    "genericpath",
    "subprocess",
    "_posixsubprocess",
    "_winapi",
    "msvcrt",
    "winreg",
    "pty",
    "tty",
    "termios",
    "fcntl",
    "resource",
    "signal",
    "mmap",
    "select",
    "selectors",
    "runpy",
    "importlib",
    "imp",
    "zipimport",
    "pkgutil",
    "site",
    "sys",
    "gc",
    "inspect",
    "socket",
    "_socket",
    "socketserver",
    "ssl",
    "_ssl",
    "shutil",
    "tempfile",
    "pathlib",
    "glob",
    "fileinput",
    "filecmp",
    "tarfile",
    "zipfile",
    "shelve",
    "dbm",
    "sqlite3",
    "_sqlite3",
    "io",
    "_io",
    "_pyio",
    "logging",
    "webbrowser",
    "antigravity",
    "code",
    "codeop",
    "compileall",
    "py_compile",
    "ctypes",
    "_ctypes",
    "cffi",
    "marshal",
    "pickle",
    "_pickle",
    "pickletools",
    "cPickle",
    "copy_reg.add_extension",
    "dill",
    "cloudpickle",
    "joblib.externals",
    "multiprocessing",
    "_multiprocessing",
    "concurrent",
    "threading",
    "_thread",
    "asyncio",
    "_asyncio",
    "urllib",
    "urllib2",
    "urllib3",
    "http",
    "httplib",
    "requests",
    "httpx",
    "aiohttp",
    "ftplib",
    "smtplib",
    "telnetlib",
    "poplib",
    "imaplib",
    "nntplib",
    "xmlrpc",
    "wsgiref",
    "pdb",
    "bdb",
    "cProfile",
    "profile",
    "timeit",
    "trace",
    "tracemalloc",
    "doctest",
    "unittest",
    "test",
    "pydoc",
    "pydoc_data",
    "idlelib",
    "tkinter",
    "turtle",
    "lib2to3",
    "venv",
    "ensurepip",
    "zipapp",
    "cgi",
    "cgitb",
    "mailcap",
    "uuid",
    "platform",
    "sysconfig",
    "_sysconfigdata",
    "distutils",
    "setuptools",
    "pip",
    "_distutils_hack",
    "IPython",
    "ipykernel",
    "jupyter_client",
    "nbformat",
    "nbconvert",
    "yaml",
    "ruamel",
    "jinja2",
    "mako",
    "sympy",
    "numexpr",
    "builtins.eval",
    "commands",
    "popen2",
    "_aix_support",
    "_osx_support",
    "_pyrepl",
    "readline",
    "rlcompleter",
    "faulthandler",
    "atexit",
    "_signal",
    "_io",
    "_imp",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "opcode",
    "dis",
    "ast",
    "symtable",
    "_ast",
    "__main__.__builtins__",
)
DANGEROUS_EXACT = {
    "builtins.eval",
    "builtins.exec",
    "builtins.execfile",
    "builtins.compile",
    "builtins.open",
    "builtins.file",
    "builtins.__import__",
    "builtins.__build_class__",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.globals",
    "builtins.locals",
    "builtins.vars",
    "builtins.dir",
    "builtins.input",
    "builtins.raw_input",
    "builtins.breakpoint",
    "builtins.help",
    "builtins.exit",
    "builtins.quit",
    "builtins.reload",
    "builtins.apply",
    "builtins.memoryview",
    "builtins.type",
    "builtins.super",
    "builtins.classmethod",
    "builtins.staticmethod",
    "builtins.property",
    "codecs.open",
    "codecs.EncodedFile",
    "codecs.StreamReaderWriter",
    "copyreg.add_extension",
    "copyreg.pickle",
    "copyreg.constructor",
    "operator.call",
    "functools.singledispatch",
    "types.FunctionType",
    "types.LambdaType",
    "types.CodeType",
    "types.MethodType",
    "types.ModuleType",
    "types.new_class",
    "types.CellType",
    "types.FrameType",
    "types.GeneratorType",
    "types.coroutine",
}
# Gadgets inside data-science libraries: nested unpicklers, file readers and writers, downloaders,
# string evaluators, test helpers that run scripts, compilers. Exact names or module prefixes.
FRAMEWORK_DANGEROUS = (
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.ctypeslib",
    "numpy.lib.npyio",
    "numpy.lib._npyio_impl",
    "numpy.lib.format",
    "numpy.lib._datasource",
    "numpy.lib.utils",
    "numpy.lib._utils_impl",
    "numpy.DataSource",
    "numpy.load",
    "numpy.loadtxt",
    "numpy.genfromtxt",
    "numpy.fromfile",
    "numpy.fromregex",
    "numpy.save",
    "numpy.savez",
    "numpy.savez_compressed",
    "numpy.savetxt",
    "numpy.memmap",
    "numpy.core.memmap",
    "numpy._core.memmap",
    "numpy.recfromcsv",
    "numpy.recfromtxt",
    "numpy.show_config",
    "numpy.test",
    "numpy._pytesttester",
    "pandas.io",
    "pandas.read_",
    "pandas.to_pickle",
    "pandas.eval",
    "pandas.core.computation",
    "pandas.util._tester",
    "pandas.util._print_versions",
    "pandas.show_versions",
    "pandas.test",
    "pandas.testing",
    "pandas._testing",
    "sklearn.utils._testing",
    "sklearn.utils.estimator_checks",
    "sklearn.utils._show_versions",
    "sklearn.show_versions",
    "sklearn.datasets",
    "sklearn.externals",
    "sklearn.utils._joblib",
    "sklearn.utils.parallel",
    "sklearn.conftest",
    "scipy.io",
    "scipy.LowLevelCallable",
    "scipy._lib._ccallback",
    "scipy._lib._testutils",
    "scipy.test",
    "scipy.weave",
    "scipy.datasets",
    "scipy.misc",
    "joblib.load",
    "joblib.dump",
    "joblib.numpy_pickle.load",
    "joblib.numpy_pickle.dump",
    "joblib.numpy_pickle.NumpyUnpickler",
    "joblib.numpy_pickle_utils",
    "joblib.Parallel",
    "joblib.parallel",
    "joblib.Memory",
    "joblib.memory",
    "joblib.pool",
    "joblib._parallel_backends",
    "joblib._memmapping_reducer",
    "joblib.executor",
    "joblib.externals",
    "joblib.func_inspect",
    "torch.load",
    "torch.save",
    "torch.hub",
    "torch.package",
    "torch.utils.cpp_extension",
    "torch.utils.bottleneck",
    "torch.utils.collect_env",
    "torch.utils._config_module",
    "torch.utils.data",
    "torch.utils.benchmark",
    "torch.utils.tensorboard",
    "torch.serialization",
    "torch.storage._load_from_bytes",
    "torch.jit",
    "torch._C",
    "torch.ops",
    "torch._ops",
    "torch._inductor",
    "torch._dynamo",
    "torch.fx",
    "torch.testing",
    "torch.distributed",
    "torch.multiprocessing",
    "torch.compile",
    "torch._export",
    "torch.export",
    "torch.onnx",
    "torch.backends",
    "torch.cuda",
    "torch.library",
    "torch.autograd.profiler",
    "torch.profiler",
    "xgboost.collective",
    "xgboost.tracker",
    "xgboost.dask",
    "xgboost.spark",
    "xgboost.testing",
    "lightgbm.dask",
    "catboost.utils",
    "catboost.datasets",
    "catboost.widget",
    "catboost.eval",
    "statsmodels.iolib",
    "statsmodels.datasets",
    "statsmodels.tools.print_version",
    "statsmodels.test",
    "patsy.eval",
    "keras.utils.get_file",
    "keras.src.utils.file_utils",
    "tensorflow.io",
    "tensorflow.py_function",
    "tensorflow.keras.utils.get_file",
    "transformers.pipelines",
    "huggingface_hub",
    "sklearn.utils.fixes.parse_version",
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
# Attribute names that turn any module into a weapon when an import walks an attribute path
# (``posixpath`` + ``os.system``, ``tempfile`` + ``_os.system``, ``numpy`` + ``load``).
DANGEROUS_ATTRS = {
    "os",
    "_os",
    "sys",
    "_sys",
    "subprocess",
    "_subprocess",
    "builtins",
    "_builtins",
    "__builtins__",
    "__builtin__",
    "posix",
    "nt",
    "pickle",
    "_pickle",
    "marshal",
    "ctypes",
    "importlib",
    "_imp",
    "shutil",
    "_shutil",
    "socket",
    "_socket",
    "io",
    "_io",
    "system",
    "popen",
    "Popen",
    "spawn",
    "spawnv",
    "spawnl",
    "execv",
    "execve",
    "execl",
    "fork",
    "fork_exec",
    "run",
    "call",
    "eval",
    "exec",
    "execfile",
    "compile",
    "__import__",
    "import_module",
    "getattr",
    "setattr",
    "delattr",
    "open",
    "load",
    "loads",
    "load_model",
    "save",
    "savez",
    "savez_compressed",
    "savetxt",
    "loadtxt",
    "genfromtxt",
    "fromfile",
    "tofile",
    "to_pickle",
    "read_pickle",
    "dump",
    "dumps",
    "runstring",
    "runcode",
    "runsource",
    "run_path",
    "run_module",
    "_run_code",
    "check_output",
    "check_call",
    "getoutput",
    "getstatusoutput",
    "write_text",
    "write_bytes",
    "unlink",
    "remove",
    "rmtree",
    "system_call",
    "pipepager",
    "tempfilepager",
    "dictConfig",
    "fileConfig",
    # writers of pandas, numpy and friends, reached through operator.methodcaller or attribute paths
    "to_csv",
    "to_json",
    "to_parquet",
    "to_excel",
    "to_hdf",
    "to_feather",
    "to_sql",
    "to_html",
    "to_latex",
    "to_markdown",
    "to_stata",
    "to_orc",
    "to_xml",
    "to_clipboard",
    "to_string",
    "save_model",
    "dump_model",
    "savemat",
    "write",
    "touch",
    "mkdir",
    "rename",
    "replace",
    "symlink_to",
    "chmod",
}
# Allowlisted callables that can return an exact str (a module or attribute name built at load time).
STRING_PRODUCERS = {
    "builtins.str",
    "builtins.getattr",
    "builtins.repr",
    "builtins.format",
    "builtins.chr",
    "builtins.ascii",
    "builtins.min",
    "builtins.max",
    "_codecs.decode",
    "codecs.decode",
}
# Harmless alone, dangerous over dangerous arguments: they call what they are given.
CONTEXTUAL = {
    "operator.attrgetter",
    "operator.itemgetter",
    "operator.methodcaller",
    "functools.partial",
    "functools.reduce",
    "builtins.map",
    "builtins.filter",
    "builtins.sorted",
    "builtins.min",
    "builtins.max",
    "itertools.starmap",
}


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


def dangerous_reason(module: str, name: str) -> str:
    """Why ``module.name`` is a known dangerous primitive, or "" when it is not one."""
    module, name = normalise(module, name)
    full = f"{module}.{name}"
    if full == "builtins.getattr":
        return ""  # judged by its arguments (classify_call)
    if module in ("<computed>",):
        return "imports a module or name computed while loading"
    if full in DANGEROUS_EXACT:
        return "runs code or touches files when called"
    hit = _under(module, DANGEROUS_MODULES) or _under(full, DANGEROUS_MODULES)
    if hit:
        return f"{hit} gives process, file, network or interpreter access"
    if module == "builtins" and name.startswith("__"):
        return "interpreter internals"
    hit = _under(full, FRAMEWORK_DANGEROUS)
    if hit:
        return f"{hit} loads or writes files, downloads, evaluates strings or runs code"
    # The module is imported as a module (a real package path, or an alias in sys.modules such as
    # os.path); the name is walked attribute by attribute (protocol 4), so it can leave the module.
    bad = next((p for p in name.split(".") if p in DANGEROUS_ATTRS), "")
    if bad:
        return f"reaches {bad!r} (an attribute path to a process, file, import or code primitive)"
    dunder = next((p for p in name.split(".")[1:] if p.startswith("__") and p.endswith("__")), "")
    if dunder:
        return f"walks the attribute {dunder!r} (interpreter internals)"
    return ""


def classify_global(module: str, name: str) -> tuple[str, str]:
    """(classification, reason) of ``module.name`` on its own, before looking at how it is used."""
    module, name = normalise(module, name)
    full = f"{module}.{name}"
    reason = dangerous_reason(module, name)
    if reason:
        return DANGEROUS, reason
    if full in ALLOWED:
        return EXPECTED, f"on the allowlist ({ALLOWED[full]})"
    if full in CONTEXTUAL:
        return UNKNOWN, "harmless alone, dangerous over dangerous arguments"
    if module == "__main__":
        return UNKNOWN, "defined in the training script (__main__): loading needs that code"
    return UNKNOWN, "not on the allowlist of names the supported libraries' own pickles use"


def check_use(module: str, name: str, use: str) -> tuple[str, str] | None:
    """A stricter class for an allowlisted global used in a way its library never uses it."""
    full = ".".join(normalise(module, name))
    allowed = ALLOWED.get(full)
    if allowed is None or use in allowed.split():
        return None
    verb = {"new": "instantiated without __init__", "call": "called with arguments", "ref": "referenced"}
    return UNKNOWN, f"{verb[use]}, which the library's own pickles never do (they: {allowed})"


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
    if full == "builtins.getattr":
        # Bound methods pickle as getattr(obj, "name") (scipy's frozen distributions do): harmless for
        # a literal, ordinary attribute name; calling the result is an indirect call (never safe).
        attr = args[1] if isinstance(args, tuple) and len(args) >= 2 else None
        if not isinstance(attr, str):
            return DANGEROUS, "getattr with an attribute name computed while loading"
        if attr in DANGEROUS_ATTRS or attr.startswith("__") or dangerous_args:
            return DANGEROUS, f"getattr(…, {attr[:60]!r}) reaches a dangerous attribute"
        return None
    if dangerous_args and full in CONTEXTUAL:
        return DANGEROUS, f"wraps {', '.join(dangerous_args)}"
    if full in ("operator.attrgetter", "operator.methodcaller"):
        names = [part for s in _strings(args) for part in s.split(".")]
        bad = [n for n in names if n in DANGEROUS_ATTRS or (n.startswith("__") and n.endswith("__"))]
        if bad:
            return DANGEROUS, f"looks up {', '.join(sorted(set(bad)))}"
    return None
