"""A symbolic pickle machine: it walks the opcodes of one or more pickle streams and tracks a stack of
*descriptions* of values (literals, imported globals, "object built by calling X") — it never imports,
calls or unpickles anything.

Streaming: opcodes are read one at a time; a large bytes/string argument is skipped (seek or chunked
read) and kept only as its length, so memory stays flat for multi-GB checkpoints. Containers and the memo
are capped for the same reason; values beyond the caps become opaque. joblib writes raw numpy array bytes
between opcodes right after the BUILD of a ``NumpyArrayWrapper``; the machine computes their length from
the wrapper's state (shape × dtype itemsize, alignment padding) and skips them, or — for object arrays —
walks the nested pickle joblib writes there.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from kitlab.scan.pickles.policy import (
    DANGEROUS,
    EXPECTED,
    RANK,
    STRING_PRODUCERS,
    GlobalRef,
    check_use,
    classify_call,
    classify_global,
    normalise,
)

KEEP_BYTES = 1 << 20  # bytes/str arguments up to this size are read (and walked if they are pickles)
KEEP_TEXT = 1024  # … and kept as values up to this size (names, dtype codes); longer ones become Blobs
LINE_LIMIT = 1 << 16  # protocol 0 text arguments longer than this are skipped, not kept
LINE_CHUNK = 1 << 16
SHORT_LINE = 4096
SKIP_CHUNK = 1 << 20
CONTAINER_CAP = 1000
MEMO_CAP = 200_000
STACK_CAP = 2_000_000
MAX_DEPTH = 4  # nested pickles inside pickles
NODE_BUDGET = 10_000  # symbolic values inspected per call-argument check
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# A module or attribute path as the unpickler's import can resolve it.
IDENTIFIER_PATH = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
JOBLIB_WRAPPERS = {
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
}


class PickleError(Exception):
    """The bytes stop being a well-formed pickle."""


@dataclass(eq=False)
class Global:
    module: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(eq=False)
class Obj:
    """A value the unpickler would build by calling ``callable`` (REDUCE/NEWOBJ/OBJ/INST)."""

    callable: Any
    args: Any
    state: Any = None


@dataclass(eq=False)
class Blob:
    """A bytes/str argument too large to keep."""

    length: int


@dataclass(eq=False)
class SymDict:
    items: list[tuple[Any, Any]] = field(default_factory=list)

    def get(self, key: str) -> Any:
        return next((v for k, v in self.items if k == key), None)


class _Marker:
    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


MARK = _Marker("MARK")
OPAQUE = _Marker("OPAQUE")


class WalkLimit(PickleError):
    """The caller's read budget ran out (the scanner's sniffer reads a bounded prefix only)."""


class Reader:
    """Exact reads, bounded line reads and cheap skips over a binary stream. ``buf[off:]`` holds bytes
    read ahead (by ``readline``'s chunks or ``peek``) that have not been consumed yet. ``budget`` caps
    the bytes read as opcodes and arguments (skipped payloads do not count): ``WalkLimit`` past it."""

    def __init__(self, fh: BinaryIO, budget: int | None = None) -> None:
        self.fh = fh
        self.pos = 0
        self.buf = b""
        self.off = 0
        self.budget = budget
        try:
            self._seekable = fh.seekable()
        except (AttributeError, OSError, ValueError):
            self._seekable = False

    def _spend(self, n: int) -> None:
        if self.budget is not None:
            self.budget -= n
            if self.budget < 0:
                raise WalkLimit(f"walk limit reached at byte {self.pos}")

    def _raw(self, n: int) -> bytes:
        ahead = len(self.buf) - self.off
        if ahead:
            take = min(n, ahead)
            data = self.buf[self.off : self.off + take]
            self.off += take
            if take < n:
                data += self.fh.read(n - take)
        else:
            data = self.fh.read(n)
        self.pos += len(data)
        return data

    def read(self, n: int) -> bytes:
        self._spend(n)
        data = self._raw(n)
        if len(data) != n:
            raise PickleError(f"truncated at byte {self.pos}")
        return data

    def peek(self, n: int) -> bytes:
        data = self._raw(n)
        self.buf = data + self.buf[self.off :]
        self.off = 0
        self.pos -= len(data)
        return data

    def skip(self, n: int) -> None:
        ahead = min(n, len(self.buf) - self.off)
        self.off += ahead
        self.pos += ahead
        n -= ahead
        if not n:
            return
        if self._seekable:
            self.fh.seek(n, io.SEEK_CUR)
            self.pos += n
            if not self.peek(1):
                raise PickleError(f"truncated at byte {self.pos}")
            return
        while n:
            got = self._raw(min(n, SKIP_CHUNK))
            if not got:
                raise PickleError(f"truncated at byte {self.pos}")
            n -= len(got)

    def readline(self, limit: int = LINE_LIMIT) -> bytes | None:
        """The next line without its newline, or None when it is longer than ``limit`` (then skipped
        to its end, in bounded memory: protocol 0 writes whole arrays as one escaped string)."""
        kept = bytearray()
        overlong = False
        while True:
            if self.off >= len(self.buf):
                self.buf, self.off = self.fh.read(LINE_CHUNK), 0
                if not self.buf:
                    raise PickleError(f"truncated line at byte {self.pos}")
            end = self.buf.find(b"\n", self.off)
            stop = end if end >= 0 else len(self.buf)
            if not overlong:
                kept += self.buf[self.off : stop]
                overlong = len(kept) > limit
            self._spend(min(stop - self.off, limit + 1) + (end >= 0))
            self.pos += stop - self.off + (end >= 0)
            self.off = stop + (end >= 0)
            if end >= 0:
                return None if overlong else bytes(kept)

    def name_line(self) -> str:
        """A module or class name line (GLOBAL, INST). CPython reads any length; a line too long to
        be a real name is an import that cannot succeed, so the stream ends there."""
        line = self.readline(SHORT_LINE)
        if line is None:
            raise PickleError(f"overlong module or class name at byte {self.pos}")
        return line.decode("utf-8")


@dataclass
class Findings:
    """What the walk saw, shared by every stream (and nested stream) of one file."""

    refs: dict[tuple[str, str], GlobalRef] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    joblib: bool = False
    roots: list[Any] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # qualified names as first imported, for the sniffer
    arrays: int = 0  # numpy arrays joblib stores between opcodes, skipped
    uses: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # how each global was used

    def add(self, module: str, name: str, location: str) -> None:
        key = normalise(module, name)
        if key not in self.refs:
            cls, reason = classify_global(*key)
            self.refs[key] = GlobalRef(*key, cls, reason, location)
            self.order.append(f"{module}.{name}")

    def escalate(self, module: str, name: str, classification: str, reason: str) -> None:
        ref = self.refs.get(normalise(module, name))
        if ref is not None and RANK[classification] > RANK[ref.classification]:
            ref.classification, ref.reason = classification, reason

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def use(self, target: Any, how: str) -> None:
        """``target`` is instantiated (``new``) or called (``call``) by the pickle."""
        if isinstance(target, Global):
            self.uses.setdefault((target.module, target.name), set()).add(how)
            verdict = check_use(target.module, target.name, how)
            if verdict is not None:
                self.escalate(target.module, target.name, *verdict)

    def merge(self, other: Findings, *, errors: bool = True) -> None:
        for key, ref in other.refs.items():
            mine = self.refs.get(key)
            if mine is None:
                self.refs[key] = ref
                self.order.append(ref.qualified)
            elif RANK[ref.classification] > RANK[mine.classification]:
                mine.classification, mine.reason = ref.classification, ref.reason
        if errors:
            self.errors.extend(other.errors)
        for note in other.notes:
            self.note(note)
        for key, how in other.uses.items():
            self.uses.setdefault(key, set()).update(how)
        self.joblib = self.joblib or other.joblib
        self.arrays += other.arrays

    @property
    def worst(self) -> int:
        return max((RANK[g.classification] for g in self.refs.values()), default=-1)


def dangerous_globals(value: Any, findings: Findings) -> list[str]:
    """Qualified names of dangerous globals anywhere inside a symbolic value (cycles and huge fan-outs
    are bounded: each node is visited once, at most NODE_BUDGET nodes)."""
    found: list[str] = []
    seen: set[int] = set()
    todo = [value]
    while todo and len(seen) < NODE_BUDGET:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Global):
            ref = findings.refs.get(normalise(item.module, item.name))
            if ref is not None and ref.classification == DANGEROUS:
                found.append(item.qualified)
        elif isinstance(item, Obj):
            todo += [item.callable, item.args]
        elif isinstance(item, (tuple, list)):
            todo += list(item)
        elif isinstance(item, SymDict):
            todo += [x for pair in item.items for x in pair]
    return found


def _decimal(line: bytes | None) -> int:
    if line is None:
        raise PickleError("integer literal too long")  # CPython refuses more than 4300 digits too
    text = line.decode("ascii").rstrip("L")
    if text in ("00", "01"):
        return text == "01"
    return int(text)


def _dtype_layout(dtype: Any) -> tuple[int, bool] | None:
    """(itemsize, has_object) of a pickled ``numpy.dtype(...)`` description, or None when unknowable."""
    if not isinstance(dtype, Obj) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    code = dtype.args[0]
    if not isinstance(code, str):
        return None
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    flags = state[7] if len(state) > 7 and isinstance(state[7], int) else 0
    has_object = code.startswith("O") or bool(flags & 1)
    if len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5], has_object
    match = re.fullmatch(r"[a-zA-Z?]+(\d+)", code)
    if match:
        size = int(match.group(1))
        return (size * 4 if code.startswith("U") else size), has_object
    if has_object:
        return 8, True
    return None


def _latin1_call(args: Any) -> bool:
    return isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str) and args[1] == "latin1"


def looks_like_pickle(data: bytes) -> bool:
    """Bytes a ``pickle.loads`` would start on: a PROTO header, or a protocol 0/1 GLOBAL / MARK."""
    if len(data) < 4:
        return False
    if data[0] == 0x80:
        return data[1] <= 5
    return data[:1] in (b"c", b"(") and b"\n" in data[:SHORT_LINE]


class Machine:
    """Walks one pickle stream (… STOP) symbolically; nested streams get their own Machine.

    ``joblib`` says whether the reader is joblib's unpickler, which reads raw numpy array bytes right
    after the BUILD of a ``NumpyArrayWrapper`` (plain ``pickle.load`` reads the same bytes as opcodes:
    the file scanner walks both readings)."""

    def __init__(
        self, reader: Reader, findings: Findings, location: str, depth: int = 0, *, joblib: bool = True
    ) -> None:
        self.r = reader
        self.f = findings
        self.location = location
        self.depth = depth
        self.joblib = joblib
        self.importable: Callable[[str], bool] | None = None  # set: an import of anything else fails
        self.first_op = -1
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.memo_dropped = False
        self.memo_size = 0  # what len(memo) is in a real unpickler (MEMOIZE's index), even past the cap
        self.handlers: dict[int, Callable[[], None]] = self._table()

    # ---- stack helpers
    def push(self, value: Any) -> None:
        self.stack.append(value)
        if len(self.stack) > STACK_CAP:
            # Real model pickles stay far below; a file that piles up millions of values would take the
            # scanner's memory with it. It cannot be analysed completely: unknown, never safe.
            raise PickleError(f"more than {STACK_CAP} values on the stack at byte {self.r.pos}")

    def pop(self) -> Any:
        if not self.stack:
            raise PickleError(f"stack underflow at byte {self.r.pos}")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise PickleError(f"no MARK on the stack at byte {self.r.pos}")

    def top(self) -> Any:
        if not self.stack:
            raise PickleError(f"stack underflow at byte {self.r.pos}")
        return self.stack[-1]

    # ---- running
    def run(self) -> Any:
        """Walk to STOP and return the description of the pickled value."""
        handlers = self.handlers
        while True:
            code = self.r.read(1)[0]
            if self.first_op < 0 and code not in (0x80, 0x95):
                self.first_op = code
            if code == 0x2E:  # STOP
                return self.pop()
            handler = handlers.get(code)
            if handler is None:
                raise PickleError(f"unknown opcode 0x{code:02x} at byte {self.r.pos - 1}")
            try:
                handler()
            except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError) as exc:
                # Malformed arguments (bad escapes, bad UTF-8, odd values): the stream is broken here.
                raise PickleError(f"malformed {chr(code)!r} opcode at byte {self.r.pos}: {exc}") from None

    def _table(self) -> dict[int, Callable[[], None]]:
        r = self.r
        length_prefixed = {
            b"T": (4, "bytes_or_str", True),
            b"U": (1, "bytes_or_str", False),
            b"B": (4, "bytes", False),
            b"C": (1, "bytes", False),
            b"\x8e": (8, "bytes", False),
            b"\x96": (8, "bytes", False),
            b"\x8c": (1, "str", False),
            b"X": (4, "str", False),
            b"\x8d": (8, "str", False),
        }
        table: dict[int, Callable[[], None]] = {
            ord("I"): lambda: self.push(_decimal(r.readline(SHORT_LINE))),
            ord("J"): lambda: self.push(int.from_bytes(r.read(4), "little", signed=True)),
            ord("K"): lambda: self.push(r.read(1)[0]),
            ord("M"): lambda: self.push(int.from_bytes(r.read(2), "little")),
            ord("L"): lambda: self.push(_decimal(r.readline(SHORT_LINE))),
            0x8A: lambda: self.push(int.from_bytes(r.read(r.read(1)[0]), "little", signed=True)),
            0x8B: self._long4,
            ord("S"): self._string_nl,
            ord("V"): self._unicode_nl,
            ord("N"): lambda: self.push(None),
            0x88: lambda: self.push(True),
            0x89: lambda: self.push(False),
            ord("F"): lambda: self._literal(r.readline(), 0.0),
            ord("G"): lambda: self._literal(r.read(8), 0.0),
            0x97: lambda: self.push(OPAQUE),  # NEXT_BUFFER: out-of-band data, not in the file
            0x98: lambda: None,  # READONLY_BUFFER
            ord("]"): lambda: self.push([]),
            ord(")"): lambda: self.push(()),
            ord("}"): lambda: self.push(SymDict()),
            0x8F: lambda: self.push([]),
            ord("a"): self._append,
            ord("e"): self._appends,
            ord("l"): lambda: self.push(self.pop_mark()[:CONTAINER_CAP]),
            ord("t"): lambda: self.push(tuple(self.pop_mark()[:CONTAINER_CAP])),
            0x85: lambda: self.push((self.pop(),)),
            0x86: self._tuple2,
            0x87: self._tuple3,
            ord("d"): self._dict,
            ord("s"): self._setitem,
            ord("u"): self._setitems,
            0x90: self._appends,  # ADDITEMS
            0x91: lambda: self.push(tuple(self.pop_mark()[:CONTAINER_CAP])),  # FROZENSET
            ord("0"): lambda: (self.pop(), None)[1],
            ord("2"): lambda: self.push(self.top()),
            ord("("): lambda: self.push(MARK),
            ord("1"): lambda: (self.pop_mark(), None)[1],
            ord("g"): lambda: self._get(_decimal(r.readline(SHORT_LINE))),
            ord("h"): lambda: self._get(r.read(1)[0]),
            ord("j"): lambda: self._get(int.from_bytes(r.read(4), "little")),
            ord("p"): lambda: self._put(_decimal(r.readline(SHORT_LINE))),
            ord("q"): lambda: self._put(r.read(1)[0]),
            ord("r"): lambda: self._put(int.from_bytes(r.read(4), "little")),
            0x94: lambda: self._put(self.memo_size),
            0x82: lambda: self._ext(r.read(1)[0]),
            0x83: lambda: self._ext(int.from_bytes(r.read(2), "little")),
            0x84: lambda: self._ext(int.from_bytes(r.read(4), "little", signed=True)),
            ord("c"): self._global,
            0x93: self._stack_global,
            ord("R"): self._reduce,
            ord("b"): self._build,
            ord("i"): self._inst,
            ord("o"): self._obj,
            0x81: self._newobj,
            0x92: self._newobj_ex,
            0x80: self._proto,
            0x95: lambda: self._literal(r.read(8), None, push=False),  # FRAME: a length hint only
            ord("P"): lambda: self._literal(r.readline(), OPAQUE),
            ord("Q"): lambda: self._literal(self.pop(), OPAQUE),
        }
        for op, (width, kind, signed) in length_prefixed.items():
            table[op[0]] = self._sized(width, kind, signed)
        return table

    # ---- literals
    def _literal(self, _consumed: Any, value: Any, *, push: bool = True) -> None:
        if push:
            self.push(value)

    def _long4(self) -> None:
        n = int.from_bytes(self.r.read(4), "little", signed=True)
        if n < 0:
            raise PickleError("negative LONG4 length")
        if n > 64:
            self.r.skip(n)
            self.push(OPAQUE)
        else:
            self.push(int.from_bytes(self.r.read(n), "little", signed=True))

    def _sized(self, width: int, kind: str, signed: bool) -> Callable[[], None]:
        def handler() -> None:
            n = int.from_bytes(self.r.read(width), "little", signed=signed)
            if n < 0:
                raise PickleError(f"negative length at byte {self.r.pos}")
            if n > KEEP_BYTES:
                self.r.skip(n)
                self.push(Blob(n))
                return
            data = self.r.read(n)
            self._nested(data)
            if n > KEEP_TEXT:
                self.push(Blob(n))
            elif kind == "str":
                self.push(data.decode("utf-8", "surrogatepass"))
            else:
                # Python 2 str: pickle decodes it as ASCII by default.
                self.push(data.decode("latin-1") if kind == "bytes_or_str" else data)

        return handler

    def _string_nl(self) -> None:
        line = self.r.readline()
        if line is None:
            self.push(OPAQUE)
            return
        if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in (b"'", b'"'):
            raise PickleError(f"badly quoted STRING at byte {self.r.pos}")
        data = codecs.escape_decode(line[1:-1])[0]
        self._nested(data)
        self.push(data.decode("latin-1") if len(data) <= KEEP_TEXT else Blob(len(data)))

    def _unicode_nl(self) -> None:
        line = self.r.readline()
        if line is None:
            self.push(OPAQUE)
            return
        text = line.decode("raw-unicode-escape")
        if text[:1] == "\x80":
            self._nested(text.encode("latin-1", "replace"))
        self.push(text if len(text) <= KEEP_TEXT else Blob(len(text)))

    def _nested(self, data: bytes) -> None:
        """Walk bytes that are themselves a pickle (a payload for ``pickle.loads``, torch's
        ``_load_from_bytes``): its imports count when it walks to STOP, or when it imports something
        dangerous before it breaks (that much would run)."""
        if self.depth >= MAX_DEPTH or not looks_like_pickle(data):
            return
        trial = Findings()
        location = f"{self.location} > nested pickle (bytes ending at byte {self.r.pos})"
        try:
            Machine(Reader(io.BytesIO(data)), trial, location, self.depth + 1, joblib=False).run()
        except PickleError:
            if trial.worst < RANK[DANGEROUS]:
                return  # arbitrary binary data that merely starts like a pickle
        self.f.merge(trial, errors=False)

    # ---- containers
    def _tuple2(self) -> None:
        b, a = self.pop(), self.pop()
        self.push((a, b))

    def _tuple3(self) -> None:
        c, b, a = self.pop(), self.pop(), self.pop()
        self.push((a, b, c))

    def _mutate(self, target: Any, what: str) -> None:
        if isinstance(target, Global):
            self.f.escalate(
                target.module,
                target.name,
                DANGEROUS,
                f"the pickle {what} the imported object (monkey-patching)",
            )

    def _append(self) -> None:
        item = self.pop()
        target = self.top()
        self._mutate(target, "appends to")
        if isinstance(target, list) and len(target) < CONTAINER_CAP:
            target.append(item)

    def _appends(self) -> None:
        items = self.pop_mark()
        target = self.top()
        self._mutate(target, "adds items to")
        if isinstance(target, list):
            target.extend(items[: max(0, CONTAINER_CAP - len(target))])

    def _dict(self) -> None:
        items = self.pop_mark()
        self.push(SymDict(list(zip(items[::2], items[1::2], strict=False))[:CONTAINER_CAP]))

    def _setitem(self) -> None:
        value, key = self.pop(), self.pop()
        target = self.top()
        self._mutate(target, "sets items on")
        if isinstance(target, SymDict) and len(target.items) < CONTAINER_CAP:
            target.items.append((key, value))

    def _setitems(self) -> None:
        items = self.pop_mark()
        target = self.top()
        self._mutate(target, "sets items on")
        if isinstance(target, SymDict):
            room = max(0, CONTAINER_CAP - len(target.items))
            target.items.extend(list(zip(items[::2], items[1::2], strict=False))[:room])

    # ---- memo
    def _get(self, index: int) -> None:
        if index in self.memo:
            self.push(self.memo[index])
        elif self.memo_dropped:
            self.push(OPAQUE)  # perhaps stored past the cap
        else:
            raise PickleError(f"memo key {index} not found at byte {self.r.pos}")  # as CPython

    def _put(self, index: int) -> None:
        value = self.top()
        if index not in self.memo:
            self.memo_size += 1
        if len(self.memo) < MEMO_CAP or isinstance(value, (str, Global, Obj)) or index in self.memo:
            self.memo[index] = value
        else:
            self.memo_dropped = True

    # ---- imports and calls
    def _import(self, module: str, name: str) -> None:
        if not IDENTIFIER_PATH.fullmatch(module) or not IDENTIFIER_PATH.fullmatch(name):
            # The unpickler's import fails on such a name: nothing after it runs.
            raise PickleError(f"import of an impossible name {module[:60]!r}.{name[:60]!r}")
        if self.importable is not None and not self.importable(module):
            raise PickleError(f"import of a module that is not installed: {module[:60]!r}")
        self.f.add(module, name, f"{self.location} (byte {self.r.pos})")
        if f"{module}.{name}" in JOBLIB_WRAPPERS:
            self.f.joblib = True
        self.push(Global(*normalise(module, name)))

    def _ext(self, code: int) -> None:
        self.f.add("copyreg", f"extension_{code & 0xFFFFFFFF}", self.location)
        self.push(OPAQUE)

    def _global(self) -> None:
        module, name = self.r.name_line(), self.r.name_line()
        self._import(module, name)

    def _stack_global(self) -> None:
        name, module = self.pop(), self.pop()
        if isinstance(module, str) and isinstance(name, str):
            self._import(module, name)
            return
        if not all(self._maybe_str(x) for x in (module, name)):
            # CPython's STACK_GLOBAL takes exact str objects only: anything else ends the load.
            raise PickleError(f"STACK_GLOBAL of a non-string at byte {self.r.pos}")
        # The names are computed (a call that returns a string, an unknown memo entry): the pickle
        # decides what to import at load time, which no model file does.
        self.f.add("<computed>", "STACK_GLOBAL", f"{self.location} (byte {self.r.pos})")
        self.f.escalate(
            "<computed>", "STACK_GLOBAL", DANGEROUS, "imports a module or name computed while loading"
        )
        self.push(OPAQUE)

    def _maybe_str(self, value: Any) -> bool:
        """Whether ``value`` may be an exact ``str`` when really unpickled."""
        if isinstance(value, str) or value is OPAQUE or isinstance(value, Blob):
            return True
        if isinstance(value, Obj):
            func = value.callable
            if not isinstance(func, Global):
                return True
            if func.qualified in STRING_PRODUCERS:
                return True
            if self.importable is not None:
                return False  # reading data bytes as opcodes: only a known string producer counts
            ref = self.f.refs.get((func.module, func.name))
            return ref is None or ref.classification != EXPECTED
        return False

    def _call(self, func: Any, args: Any, how: str = "call") -> Any:
        self.f.use(func, how)
        if isinstance(func, Global):
            verdict = classify_call(func.module, func.name, args, dangerous_globals(args, self.f))
            if verdict is not None:
                self.f.escalate(func.module, func.name, *verdict)
            if (
                func.qualified == "builtins.getattr"
                and isinstance(args, tuple)
                and len(args) == 2
                and isinstance(args[0], Global)
                and isinstance(args[1], str)
                and IDENTIFIER_PATH.fullmatch(args[1])
            ):
                # getattr(<global>, "name") is how protocols < 4 spell the dotted name "<global>.name"
                # (classmethods such as zoneinfo.ZoneInfo._unpickle): it is that import.
                owner = args[0]
                self._import(owner.module, f"{owner.name}.{args[1]}")
                return self.pop()
            # Protocol 2 writes bytes as _codecs.encode(str, 'latin1'): decode it to see nested pickles.
            if func.qualified == "_codecs.encode" and _latin1_call(args):
                self._nested(args[0].encode("latin-1", "replace"))
        elif isinstance(func, Obj):
            self.f.note("calls the result of another call (indirect call): cannot tell what runs")
        elif func is OPAQUE or isinstance(func, Blob):
            self.f.note("calls a value the scanner could not follow: cannot tell what runs")
        return Obj(func, args)

    def _reduce(self) -> None:
        args, func = self.pop(), self.pop()
        if isinstance(func, Global) and isinstance(args, tuple) and args:
            qualified = func.qualified
            if qualified == "copyreg._reconstructor":
                # base.__new__(cls) (and base.__init__(obj, state) for a base other than object)
                self.f.use(func, "call")
                for target in args[:2]:
                    self.f.use(target, "new")
                self.push(Obj(args[0], args[1:]))
                return
            if qualified in ("copyreg.__newobj__", "copyreg.__newobj_ex__"):
                self.f.use(func, "call")
                self.f.use(args[0], "new")
                self.push(Obj(args[0], args[1:]))
                return
        self.push(self._call(func, args))

    def _newobj(self) -> None:
        args, cls = self.pop(), self.pop()
        self.push(self._call(cls, args, "new"))

    def _newobj_ex(self) -> None:
        kwargs, args, cls = self.pop(), self.pop(), self.pop()
        self.push(self._call(cls, (args, kwargs), "new"))

    def _inst(self) -> None:
        module, name = self.r.name_line(), self.r.name_line()
        args = tuple(self.pop_mark())
        self._import(module, name)
        self.push(self._call(self.pop(), args))

    def _obj(self) -> None:
        items = self.pop_mark()
        if not items:
            raise PickleError(f"OBJ without a class at byte {self.r.pos}")
        self.push(self._call(items[0], tuple(items[1:])))

    def _build(self) -> None:
        state = self.pop()
        target = self.top()
        self._mutate(target, "sets attributes on")
        if not isinstance(target, Obj):
            return
        target.state = state
        func = target.callable
        if self.joblib and isinstance(func, Global) and func.qualified in JOBLIB_WRAPPERS:
            self._skip_joblib_array(state)

    def _skip_joblib_array(self, state: Any) -> None:
        if not isinstance(state, SymDict):
            raise PickleError("joblib NumpyArrayWrapper without a state dict")
        shape, layout = state.get("shape"), _dtype_layout(state.get("dtype"))
        if layout is None or not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
            raise PickleError("cannot size the numpy array joblib stored after its wrapper")
        self.f.arrays += 1
        itemsize, has_object = layout
        if has_object:
            # joblib pickles object arrays as a nested stream right here, read by plain pickle.load.
            location = f"{self.location} > joblib object array"
            Machine(self.r, self.f, location, self.depth + 1, joblib=False).run()
            return
        if state.get("numpy_array_alignment_bytes") is not None:
            self.r.skip(self.r.read(1)[0])
        count = 1
        for n in shape:
            count *= n
        if count * itemsize:
            self.r.skip(count * itemsize)

    def _proto(self) -> None:
        version = self.r.read(1)[0]
        if version > 5:
            raise PickleError(f"unsupported pickle protocol {version}")


def walk_streams(reader: Reader, findings: Findings, location: str, *, joblib: bool = True) -> int:
    """Walk consecutive pickles (torch's legacy format writes five; anything may append more) and return
    how many completed. After the first, stops quietly at bytes that do not start a protocol 2+ pickle;
    a later stream that breaks without importing anything is trailing data, not an error."""
    done = 0
    while True:
        if done:
            head = reader.peek(2)
            if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
                break
            trial = Findings()
            machine = Machine(reader, trial, location, joblib=joblib)
            try:
                findings.roots.append(machine.run())
            except PickleError:
                if trial.refs:
                    findings.merge(trial)
                    raise
                break
            findings.merge(trial)
        else:
            machine = Machine(reader, findings, location, joblib=joblib)
            findings.roots.append(machine.run())
        done += 1
    return done
