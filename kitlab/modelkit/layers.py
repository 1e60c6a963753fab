"""Which files go into which layer: kit's layer walk, minus its silent data loss.

For every Kitfile entry, kit walks the context with Go's ``filepath.Walk`` (depth-first, names sorted
byte-wise, a directory before its contents, ``Lstat``), keeps entries in the same tree as the layer
path (its ancestors become directory entries), applies ``.kitignore`` (pruning ignored directories
unless the file has ``!`` exclusions) and leaves out whatever another layer packs. The resulting entry
list is exactly what kit would write, in kit's order, so ``write_layer_tar`` reproduces kit's bytes.

kitlab departs from kit where kit loses data without a word, and says so in a warning that names the
Kitfile field (and what kit would have done):

* layer cross-exclusion works on path segments: with layers ``data`` and ``.``, ``database.csv`` stays
  in ``.`` (kit v1.7.0 compares string prefixes and drops it from every layer);
* names containing ``..`` (``weights..v2.bin``) are left out, as kit leaves most of them out, but each
  is named in a warning; kit cannot unpack such a name at all ("illegal file path"), so packing one
  makes a kitlab-only kit, which only ``allow_kitlab_only_names`` asks for;
* symbolic links, sockets, FIFOs and devices are not packed (a layer tar holds only files and
  directories) — but each one is reported instead of vanishing;
* a missing path, a path leaving the context, an unreadable file or directory is an error, reported
  before anything is written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from kitlab.errors import InvalidInput
from kitlab.kitfile import go_clean
from kitlab.kitfile.model import HasPath, Kitfile
from kitlab.modelkit.kitignore import IGNORE_FILE_NAME, KitIgnore, go_trim_space
from kitlab.modelkit.tarwriter import FileChangedWhilePacking, Sink, TarWriter
from kitlab.progress import CancelToken

Severity = Literal["error", "warning"]
LayerKind = Literal["model", "modelpart", "code", "dataset", "docs", "prompt", "mcpb"]


@dataclass(frozen=True)
class PackProblem:
    """Something the user should know before packing; ``field`` is the Kitfile field path."""

    field: str  # "" when the problem is not about one Kitfile field (an invalid .kitignore)
    message: str
    severity: Severity = "warning"
    path: str = ""  # the context-relative file or directory concerned, if any

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "severity": self.severity, "path": self.path}


@dataclass(frozen=True)
class TarEntry:
    name: str  # context-relative, '/' separators, no './', no trailing '/'
    path: Path  # absolute path on disk
    is_dir: bool
    mode: int  # permission bits plus setuid/setgid/sticky, as Go's fi.Mode() gives them to tar
    size: int  # 0 for directories
    mtime_ns: int
    inode: int


@dataclass
class LayerPlan:
    """One layer. ``prompt`` layers are code-type layers with kit's prompt subtype annotation;
    ``mcpb`` layers are raw (the single file in ``entries`` is stored verbatim, not as a tar)."""

    kind: LayerKind
    entry_index: int  # index within its Kitfile list (0 for the model)
    path: str  # the Kitfile path as written
    clean_path: str  # filepath.Clean'd
    entries: list[TarEntry] = field(default_factory=list)
    size: int = 0  # total bytes of regular files

    @property
    def field_path(self) -> str:
        """The Kitfile field this layer comes from, e.g. ``datasets[0].path``."""
        return _field_path(self.kind, self.entry_index)


@dataclass
class PackPlan:
    layers: list[LayerPlan]  # kit's order: model, parts, code, datasets, docs, prompts, mcpServers
    problems: list[PackProblem]

    @property
    def warnings(self) -> list[PackProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def errors(self) -> list[PackProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def raise_for_errors(self) -> None:
        """Raise ``InvalidInput`` listing every error, so a pack fails before writing anything."""
        errors = self.errors
        if errors:
            summary = "; ".join(f"{p.field}: {p.message}" for p in errors)
            raise InvalidInput(f"cannot pack: {summary}", details=[p.to_dict() for p in errors])


def plan_layers(
    kf: Kitfile,
    context_dir: Path,
    *,
    extra_layer_paths: Sequence[str] = (),
    allow_kitlab_only_names: bool = False,
) -> PackPlan:
    """Walk ``context_dir`` for every layer of ``kf`` in kit's order.

    ``extra_layer_paths`` are layer paths packed elsewhere (a parent ModelKit's model and parts); like
    kit, they are excluded from this kit's layers. ``allow_kitlab_only_names`` packs names containing
    ``..``, which kit cannot unpack (a warning still names each one).
    """
    context = Path(os.path.abspath(context_dir))
    try:
        ignore = KitIgnore.from_context(context)
    except InvalidInput as err:  # reported like any other problem, so the UI shows it next to the rest
        return PackPlan(layers=[], problems=[PackProblem("", err.message, "error", IGNORE_FILE_NAME)])
    other_paths = _LayerPaths(
        [*_kit_layer_paths(kf), *(go_clean(go_trim_space(p)) for p in extra_layer_paths)]
    )
    problems: list[PackProblem] = []
    layers: list[LayerPlan] = []
    for layer, notes in _layer_specs(kf, context):
        problems.extend(notes)
        walker = _LayerWalk(context, layer, ignore, other_paths, allow_kitlab_only_names)
        walker.run()
        layers.append(layer)
        problems.extend(walker.problems)
    return PackPlan(layers=layers, problems=problems)


def write_layer_tar(
    layer: LayerPlan,
    sink: Sink,
    *,
    on_bytes: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write ``layer`` as kit's tar (entries in plan order, then the trailer) into ``sink``."""
    if layer.kind == "mcpb":
        raise InvalidInput(f"{layer.field_path} is a raw layer: store its file verbatim, not as a tar")
    writer = TarWriter(sink)
    for entry in layer.entries:
        if cancel is not None:
            cancel.check()
        if entry.is_dir:
            writer.add_dir(entry.name, entry.mode)
            continue
        with open_planned(entry) as src:
            writer.add_file(entry.name, entry.mode, entry.size, src, on_bytes=on_bytes, cancel=cancel)
    writer.close()


def open_planned(entry: TarEntry) -> BinaryIO:
    """Open a planned file without following a link swapped in since planning; a vanished file is a
    changed file. The file opened must be the one the walk saw (same inode): a folder on its path
    swapped for a symlink to a file outside the workspace is refused, not packed (docs/hardening.md).
    """
    try:
        fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise FileChangedWhilePacking(
            f"{entry.name} changed while packing ({err.strerror})", details={"name": entry.name}
        ) from err
    st = os.fstat(fd)
    if st.st_ino != entry.inode or not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FileChangedWhilePacking(
            f"{entry.name} was replaced while packing (it, or a folder on its path, is not what was planned)",
            details={"name": entry.name},
        )
    return os.fdopen(fd, "rb", buffering=0)


# ----------------------------------------------------------------------------------------------------
# Which layers exist


def _field_path(kind: str, index: int) -> str:
    return {
        "model": "model.path",
        "modelpart": f"model.parts[{index}].path",
        "code": f"code[{index}].path",
        "dataset": f"datasets[{index}].path",
        "docs": f"docs[{index}].path",
        "prompt": f"prompts[{index}].path",
        "mcpb": f"mcpServers[{index}].path",
    }[kind]


def _layer_specs(kf: Kitfile, context: Path) -> Iterator[tuple[LayerPlan, list[PackProblem]]]:
    """Every layer kit would pack, in kit's order, with notes about how it was chosen."""
    model = kf.model
    if model is not None and model.path:
        notes: list[PackProblem] = []
        is_reference = ":" in model.path or "@" in model.path
        if is_reference and os.path.lexists(context / go_clean(model.path)):
            is_reference = False
            notes.append(
                PackProblem(
                    "model.path",
                    f"{model.path!r} exists in the context, so it is packed as a file; kit would treat it "
                    "as a ModelKit reference and pack no model layer",
                    path=go_clean(model.path),
                )
            )
        if not is_reference:  # a parent ModelKit's layers come from that kit, not from this context
            yield _new_layer("model", 0, model.path), notes
    if model is not None:
        for i, part in enumerate(model.parts):
            yield _new_layer("modelpart", i, part.path), []
    for i, code in enumerate(kf.code):
        yield _new_layer("code", i, code.path), []
    for i, dataset in enumerate(kf.datasets):
        if not dataset.remote_path:  # a remote dataset has no layer
            yield _new_layer("dataset", i, dataset.path), []
    for i, docs in enumerate(kf.docs):
        yield _new_layer("docs", i, docs.path), []
    for i, prompt in enumerate(kf.prompts):
        yield _new_layer("prompt", i, prompt.path), []
    for i, server in enumerate(kf.mcp_servers):
        yield _new_layer("mcpb", i, server.path), []


def _new_layer(kind: LayerKind, index: int, path: str) -> LayerPlan:
    return LayerPlan(kind=kind, entry_index=index, path=path, clean_path=go_clean(path))


def _kit_layer_paths(kf: Kitfile) -> list[str]:
    """kit's ``LayerPathsFromKitfile``: every layer path, trimmed and cleaned, in kit's order."""
    entries: list[Sequence[HasPath]] = [kf.code, kf.datasets, kf.docs, kf.prompts, kf.mcp_servers]
    paths = [entry.path for section in entries for entry in section]
    if kf.model is not None:
        if kf.model.path:
            paths.append(kf.model.path)
        paths.extend(part.path for part in kf.model.parts)
    return [go_clean(go_trim_space(p)) for p in paths]


# ----------------------------------------------------------------------------------------------------
# The walk


def _is_within(path: str, directory: str) -> bool:
    """Path-segment containment (what newer kit's ``isWithin`` does): "data-v2" is not within "data"."""
    return directory == "." or path == directory or path.startswith(directory + "/")


def _parts(path: str) -> list[str]:
    return [] if path == "." else path.split("/")


class _LayerPaths:
    """Every layer path of a Kitfile, indexed so a walk asks "which other layer holds this name?" in
    time bound by the name's length, not by the number of layers (a 20,000-entry Kitfile asked that
    question of every layer for every file: quadratic, half a minute to validate; docs/hardening.md).

    Answers are the first such layer in Kitfile order, as the linear scans they replace gave.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.order: dict[str, int] = {}
        for index, path in enumerate(paths):
            self.order.setdefault(path, index)
        self.lengths = sorted({len(path) for path in self.order})

    def containing(self, name: str, layer_path: str) -> str | None:
        """The first layer path that ``name`` lies within (by path segments, what newer kit's
        ``isWithin`` does), skipping this layer and its parents."""
        found: tuple[int, str] | None = None
        candidates = ["."]
        parts = name.split("/")
        candidates.extend("/".join(parts[: i + 1]) for i in range(len(parts)))
        for other in candidates:
            index = self.order.get(other)
            if index is None or _is_within(layer_path, other):
                continue
            if found is None or index < found[0]:
                found = (index, other)
        return found[1] if found else None

    def kit_v170_excluder(self, name: str, layer_path: str) -> str | None:
        """The other layer kit v1.7.0 would drop ``name`` for (its exclusion compares string prefixes)."""
        found: tuple[int, str] | None = None
        for length in self.lengths:
            if length > len(name):
                break
            other = name[:length]
            index = self.order.get(other)
            if index is None or layer_path.startswith(other):
                continue
            if found is None or index < found[0]:
                found = (index, other)
        return found[1] if found else None


def _type_name(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


class _LayerWalk:
    def __init__(
        self,
        context: Path,
        layer: LayerPlan,
        ignore: KitIgnore,
        layer_paths: _LayerPaths,
        allow_kitlab_only_names: bool = False,
    ) -> None:
        self.context = context
        self.root = os.fspath(context)  # string joins: a Path per lstat cost more than the lstat
        self.allow_kitlab_only_names = allow_kitlab_only_names
        self.layer = layer
        self.ignore = ignore
        self.layer_paths = layer_paths
        self.match_path = go_clean(go_trim_space(layer.path))  # what kit compares other layers with
        self.problems: list[PackProblem] = []
        self.swallowed = False  # some content was left to another layer
        self.files = 0

    def problem(self, message: str, path: str = "", severity: Severity = "warning") -> None:
        self.problems.append(PackProblem(self.layer.field_path, message, severity, path))

    def run(self) -> None:
        clean = self.layer.clean_path
        if clean.startswith("/"):
            self.problem(
                f"absolute path {self.layer.path!r} is not supported; use a path inside the context",
                clean,
                "error",
            )
            return
        if clean == ".." or clean.startswith("../"):
            self.problem(f"path {self.layer.path!r} leaves the context directory", clean, "error")
            return
        if not os.path.lexists(f"{self.root}/{clean}"):
            self.problem(f"path {self.layer.path!r} does not exist in the context", clean, "error")
            return
        if self.ignore.matches(clean):
            self.problem(
                f"layer path {clean!r} is ignored by .kitignore, so the layer is (nearly) empty", clean
            )
        if self.layer.kind == "mcpb":
            self._plan_raw(clean)
        else:
            self._walk(clean)
        self._summarise()

    def _plan_raw(self, clean: str) -> None:
        st = os.lstat(f"{self.root}/{clean}")
        if not stat.S_ISREG(st.st_mode):
            self.problem(f"{clean!r} must be a single regular file (an .mcpb bundle)", clean, "error")
            return
        self._keep(clean, st)

    def _walk(self, clean: str) -> None:
        """Visit the layer path's ancestors, then the layer path and everything below it, in Go's order."""
        parts = _parts(clean)
        kit_dropped = False
        for i in range(len(parts)):
            name = "/".join(parts[: i + 1])
            st = self._lstat(name)
            if st is None:
                return
            descend, kit_dropped = self._visit(name, st, kit_dropped)
            if not descend:
                return
        stack: list[tuple[Iterator[os.DirEntry[str]], str, bool]] = []
        self._push(stack, clean, kit_dropped)
        while stack:
            entries, parent, parent_kit_dropped = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            name = entry.name if parent == "." else f"{parent}/{entry.name}"
            st = self._lstat(name, entry)
            if st is None:
                continue
            descend, kit_dropped = self._visit(name, st, parent_kit_dropped)
            if descend:
                self._push(stack, name, kit_dropped)

    def _lstat(self, name: str, entry: os.DirEntry[str] | None = None) -> os.stat_result | None:
        """lstat ``name`` (through scandir's cache when we have its entry); None if it cannot be."""
        try:
            return entry.stat(follow_symlinks=False) if entry is not None else os.lstat(f"{self.root}/{name}")
        except FileNotFoundError:
            self.problem(f"{name!r} disappeared while the context was being scanned", name)
        except OSError as err:
            self.problem(f"cannot inspect {name!r}: {err.strerror}", name, "error")
        return None

    def _push(self, stack: list[tuple[Iterator[os.DirEntry[str]], str, bool]], name: str, kd: bool) -> None:
        try:
            with os.scandir(f"{self.root}/{name}") as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))  # Go sorts names byte-wise
        except OSError as err:
            self.problem(f"cannot read directory {name!r}: {err.strerror}", name, "error")
            return
        stack.append((iter(entries), name, kd))

    def _visit(self, name: str, st: os.stat_result, kit_dropped: bool) -> tuple[bool, bool]:
        """Decide one walked entry (``st`` from lstat). Returns (descend into it, kit drops it)."""
        is_dir = stat.S_ISDIR(st.st_mode)
        other = self._other_layer(name)
        if other is not None:
            self.swallowed = True
            return False, kit_dropped  # everything below belongs to the other layer as well
        if self.ignore.matches(name):
            # With '!' exclusions kit still looks inside an ignored directory (but never writes it).
            return is_dir and self.ignore.has_exclusions, kit_dropped
        if ".." in name and not self.allow_kitlab_only_names:
            below = " with everything under it" if is_dir else ""
            self.problem(
                f"{name!r} is left out of this layer{below}: kit cannot unpack names containing '..'; "
                "rename it, or pack a kit only kitlab can unpack (--allow-kitlab-only-names)",
                name,
            )
            return False, kit_dropped
        if stat.S_ISLNK(st.st_mode):
            self._report_link(name)
            return False, kit_dropped
        if not is_dir and not stat.S_ISREG(st.st_mode):
            self.problem(
                f"{name!r} is a {_type_name(st.st_mode)}; only regular files and directories can "
                "be packed, so it is skipped",
                name,
            )
            return False, kit_dropped
        if not is_dir and not self._readable(name):
            return False, kit_dropped
        self._keep(name, st)
        if not kit_dropped:
            kit_dropped = self._compare_with_kit(name, is_dir)
        return is_dir, kit_dropped

    def _other_layer(self, name: str) -> str | None:
        # Parents of this layer (and the layer itself) are skipped: they do not take its content.
        return self.layer_paths.containing(name, self.match_path)

    def _readable(self, name: str) -> bool:
        try:
            os.close(os.open(f"{self.root}/{name}", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)))
        except OSError as err:
            self.problem(f"cannot read {name!r}: {err.strerror}", name, "error")
            return False
        return True

    def _keep(self, name: str, st: os.stat_result) -> None:
        is_dir = stat.S_ISDIR(st.st_mode)
        size = 0 if is_dir else st.st_size
        self.layer.entries.append(
            TarEntry(
                name=name,
                path=self.context / name,
                is_dir=is_dir,
                mode=stat.S_IMODE(st.st_mode),
                size=size,
                mtime_ns=st.st_mtime_ns,
                inode=st.st_ino,
            )
        )
        if not is_dir:
            self.layer.size += size
            self.files += 1

    def _compare_with_kit(self, name: str, is_dir: bool) -> bool:
        """Warn when kit would leave out an entry we pack; True if kit drops it (and what is below)."""
        below = " and everything under it" if is_dir else ""
        if ".." in name:  # packed only with allow_kitlab_only_names
            self.problem(
                f"{name!r} is packed{below}, but kit cannot unpack names containing '..' (it stops with "
                "'illegal file path'): only kitlab can unpack this kit",
                name,
            )
            return True
        excluder = self.layer_paths.kit_v170_excluder(name, self.match_path)
        if excluder is not None:
            self.problem(
                f"{name!r} is packed in this layer; kit v1.7.0 would drop it{below} (so it would be in "
                f"no layer) because its name starts with the path of layer {excluder!r}",
                name,
            )
            return True
        return False

    def _report_link(self, name: str) -> None:
        target = os.readlink(self.context / name)
        resolved = Path(os.path.realpath(self.context / name))
        real_context = Path(os.path.realpath(self.context))
        what = "symlinked directory" if resolved.is_dir() else "symbolic link"
        if not resolved.exists():
            hint = "its target does not exist"
        elif resolved == real_context or real_context in resolved.parents:
            inside = resolved.relative_to(real_context).as_posix() or "."
            hint = f"its target {inside!r} is inside the context: pack that path instead, or replace the link"
        else:
            hint = "its target is outside the context: copy it into the context to pack it"
        self.problem(
            f"{name!r} is a {what} (→ {target}); layers cannot hold links, so it is not packed "
            f"(kit skips it too) — {hint}",
            name,
        )

    def _summarise(self) -> None:
        if self.files:
            return
        if self.swallowed:
            self.problem(
                f"every file under {self.layer.clean_path!r} is already packed by other layers; "
                "this layer holds no files",
                self.layer.clean_path,
            )
        elif not any(p.severity == "error" for p in self.problems):
            self.problem(f"{self.layer.clean_path!r} packs no files", self.layer.clean_path)
