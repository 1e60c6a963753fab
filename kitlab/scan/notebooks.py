"""Reading notebooks and scripts for what they write and read, without running them.

Code cells are parsed with ``ast`` after IPython magics and shell lines are blanked (line numbers stay
right). Calls such as ``joblib.dump``, ``torch.save``, ``to_parquet``, ``read_csv`` and ``open`` are
matched by name; their path argument is evaluated where it is constant (see ``pathexpr``).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from kitlab.scan.iocalls import (
    BUILTIN_LOADERS,
    FUNCTIONS,
    METHODS,
    MLFLOW_SAVE,
    MODULE_RECEIVERS,
    PATH_KW,
    CallSpec,
)
from kitlab.scan.pathexpr import const_pattern, const_str, dotted

CELL_MAGICS_WITH_PYTHON = {"time", "timeit", "capture", "prun"}
SNIPPET_MAX = 120


@dataclass
class IOEvent:
    op: str
    func: str
    raw: str  # the path as the code spells it, after constant evaluation
    source: str  # notebook or script, relative to the scanned folder
    cell: int | None
    line: int
    snippet: str
    obj: str = ""  # name of the object written (``model`` in ``joblib.dump(model, ...)``)
    what: str = "file"
    hub: bool = False  # a Hugging Face hub id rather than a path
    pattern: bool = False  # ``raw`` is a glob: the call runs in a loop over f-string paths
    glob: str = ""  # the loop's glob this event was matched from (set by resolve_all)

    def where(self) -> str:
        return (
            f"{self.source} cell {self.cell}" if self.cell is not None else f"{self.source} line {self.line}"
        )


@dataclass
class SourceInfo:
    path: str
    notebook: bool
    events: list[IOEvent] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)
    title: str = ""
    summary: str = ""
    kernel: str = ""
    authors: list[str] = field(default_factory=list)
    texts: list[tuple[int | None, str, str]] = field(default_factory=list)  # (cell, "source"/"output", text)
    syntax_errors: int = 0
    unresolved_model_writes: int = 0  # model-saving calls whose path is not constant


def strip_magics(source: str) -> str:
    """Blank IPython-only lines (``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``) keeping line numbers."""
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if magic not in CELL_MAGICS_WITH_PYTHON:
            return ""
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append(indent + "pass")
        elif re.match(r"^[\w.]+\s*=\s*[!%]", stripped):
            out.append(indent + stripped.split("=", 1)[0] + "= None")
        else:
            out.append(line)
    return "\n".join(out)


class _Visitor(ast.NodeVisitor):
    def __init__(self, info: SourceInfo, env: dict[str, str], handles: dict[str, int]) -> None:
        self.info = info
        self.env = env
        self.handles = handles  # file-handle name → index of its open() event
        self.source = ""
        self.cell: int | None = None
        self._open_index: dict[int, int] = {}  # id(open-call node) → its event, for `with open(...) as f`

    def run(self, tree: ast.AST, source: str, cell: int | None) -> None:
        self.source, self.cell = source, cell
        self.visit(tree)

    def _snippet(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or ""
        text = " ".join(text.split())
        return text if len(text) <= SNIPPET_MAX else text[: SNIPPET_MAX - 1] + "…"

    def _event(self, node: ast.Call, op: str, func: str, raw: str, what: str, obj: str = "") -> int:
        self.info.events.append(
            IOEvent(op, func, raw, self.info.path, self.cell, node.lineno, self._snippet(node), obj, what)
        )
        return len(self.info.events) - 1

    def visit_Import(self, node: ast.Import) -> None:
        self.info.imports.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.info.imports.add(node.module.split(".")[0])

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        value = const_str(node.value, self.env)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if value is not None:
                    self.env[target.id] = value
                else:
                    self.env.pop(target.id, None)
                    index = self._open_event(node.value)
                    if index is not None:
                        self.handles[target.id] = index

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            index = self._open_index.get(id(item.context_expr))
            if index is not None and isinstance(item.optional_vars, ast.Name):
                self.handles[item.optional_vars.id] = index
        for stmt in node.body:
            self.visit(stmt)

    def _open_event(self, node: ast.AST) -> int | None:
        return self._open_index.get(id(node)) if isinstance(node, ast.Call) else None

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        name = dotted(node.func)
        short = ".".join(name.split(".")[-2:]) if name else ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in ("open", "io.open", "gzip.open", "bz2.open") or (
            method == "open" and name.endswith("Path.open")
        ):
            self._open(node, name)
            return
        if method == "load_dataset" or name == "load_dataset":
            self._load_dataset(node)
            return
        spec = FUNCTIONS.get(short) or FUNCTIONS.get(name)
        if spec is None and MLFLOW_SAVE.match(name):
            spec = CallSpec("write", 1, PATH_KW, "dir")
        if spec is None and method in METHODS:
            receiver = dotted(node.func.value) if isinstance(node.func, ast.Attribute) else ""
            spec = METHODS[method]
            if method == "save" and receiver in ("np", "numpy"):
                spec = FUNCTIONS["np.save"]
        if spec is None:
            return
        self._matched(node, name or method, spec)

    def _matched(self, node: ast.Call, func: str, spec: CallSpec) -> None:
        if spec.position == -1:
            target = node.func.value if isinstance(node.func, ast.Attribute) else None
        else:
            target = node.args[spec.position] if len(node.args) > spec.position else None
            if target is None:
                target = next((k.value for k in node.keywords if k.arg in spec.keywords), None)
        if target is None:
            return
        handle = self.handles.get(target.id) if isinstance(target, ast.Name) else self._open_event(target)
        if handle is not None:
            # pickle.dump(obj, f) where f came from open(...), or pickle.dump(obj, open(...)) with the
            # open() inline: refine that open() event.
            event = self.info.events[handle]
            event.func, event.what = func, spec.what
            inline = not isinstance(target, ast.Name)
            event.snippet = self._snippet(node) if inline else f"{event.snippet} … {self._snippet(node)}"
            event.obj = _obj_name(node, spec)
            return
        raw = const_str(target, self.env)
        pattern = const_pattern(target, self.env) if raw is None else None
        if raw is None and pattern is None:
            self.info.unresolved.append(f"{self._where()}: {self._snippet(node)}")
            if spec.op == "write" and spec.what in ("model", "dir"):
                self.info.unresolved_model_writes += 1
            return
        index = self._event(node, spec.op, func, raw or str(pattern), spec.what, _obj_name(node, spec))
        self.info.events[index].pattern = raw is None
        if func.endswith("from_pretrained") or func.endswith("spacy.load"):
            self.info.events[index].hub = True  # decided later: a hub id unless the path exists locally

    def _open(self, node: ast.Call, func: str) -> None:
        target = (
            node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "file"), None)
        )
        if isinstance(node.func, ast.Attribute) and func.endswith("Path.open"):
            target = node.func.value
        mode_node = (
            node.args[1]
            if len(node.args) > 1
            else next((k.value for k in node.keywords if k.arg == "mode"), None)
        )
        mode = const_str(mode_node, {}) if mode_node is not None else "r"
        raw = const_str(target, self.env)
        if raw is None:
            self.info.unresolved.append(f"{self._where()}: {self._snippet(node)}")
            return
        op = "write" if mode and any(c in mode for c in "wax+") else "read"
        self._open_index[id(node)] = self._event(node, op, "open", raw, "file")

    def _load_dataset(self, node: ast.Call) -> None:
        first = const_str(node.args[0], self.env) if node.args else None
        values: list[str] = []
        if first in BUILTIN_LOADERS or first is None:
            for kw in node.keywords:
                if kw.arg in ("data_files", "data_dir"):
                    values += _strings(kw.value, self.env)
        else:
            values.append(first)
        for raw in values:
            index = self._event(node, "read", "load_dataset", raw, "data")
            self.info.events[index].hub = first not in BUILTIN_LOADERS

    def _where(self) -> str:
        return f"{self.info.path} cell {self.cell}" if self.cell is not None else self.info.path


def _strings(node: ast.AST, env: dict[str, str]) -> list[str]:
    if isinstance(node, (ast.List, ast.Tuple)):
        return [s for e in node.elts for s in _strings(e, env)]
    if isinstance(node, ast.Dict):
        return [s for v in node.values for s in _strings(v, env)]
    value = const_str(node, env)
    return [value] if value is not None else []


def _obj_name(node: ast.Call, spec: CallSpec) -> str:
    if spec.op != "write":
        return ""
    if spec.position >= 1 and node.args:
        return dotted(node.args[0])
    if isinstance(node.func, ast.Attribute):
        receiver = dotted(node.func.value)
        if receiver.split(".")[0] in MODULE_RECEIVERS:
            return dotted(node.args[1]) if len(node.args) > 1 else ""
        return receiver
    return ""


def _parse_into(visitor: _Visitor, info: SourceInfo, source: str, cell: int | None) -> None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        info.syntax_errors += 1
        return
    visitor.run(tree, source, cell)


def _markdown_summary(cells: list[dict[str, object]]) -> tuple[str, str]:
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        lines = _text(cell.get("source")).splitlines()
        heading = next((i for i, ln in enumerate(lines) if re.match(r"^#{1,3}\s+\S", ln)), None)
        if heading is None:
            continue
        title = lines[heading].lstrip("#").strip()
        paragraph: list[str] = []
        for line in lines[heading + 1 :]:
            if line.strip().startswith("#") or (not line.strip() and paragraph):
                break
            if line.strip():
                paragraph.append(line.strip())
        return title, " ".join(paragraph)
    return "", ""


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value or "")


def read_notebook(path: Path, rel: str) -> SourceInfo:
    info = SourceInfo(rel, notebook=True)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info.syntax_errors += 1
        return info
    if not isinstance(nb, dict):
        return info
    if isinstance(nb.get("nbformat"), int) and nb["nbformat"] < 4:
        import nbformat

        try:
            nb = nbformat.convert(nbformat.from_dict(nb), 4)
        except Exception:  # an old notebook nbformat cannot upgrade: read what v4 keys there are
            info.syntax_errors += 1
    meta = nb.get("metadata") or {}
    info.kernel = str((meta.get("kernelspec") or {}).get("name", ""))
    info.authors = [
        str(a.get("name")) for a in meta.get("authors") or [] if isinstance(a, dict) and a.get("name")
    ]
    cells = [c for c in nb.get("cells") or [] if isinstance(c, dict)]
    info.title, info.summary = _markdown_summary(cells)
    visitor = _Visitor(info, {}, {})
    # "cell N" counts code cells only: the N a notebook run top to bottom shows as its prompt [N].
    code_cells = 0
    for cell in cells:
        code = cell.get("cell_type") == "code"
        code_cells += code
        number = code_cells if code else None
        source = _text(cell.get("source"))
        info.texts.append((number, "source", source))
        for output in cell.get("outputs") or []:
            if isinstance(output, dict):
                data = output.get("data") or {}
                info.texts.append(
                    (
                        number,
                        "output",
                        "\n".join(
                            _text(v)
                            for v in (output.get("text"), data.get("text/plain"), output.get("traceback"))
                            if v
                        ),
                    )
                )
        if code:
            _parse_into(visitor, info, strip_magics(source), number)
    return info


def read_script(path: Path, rel: str) -> SourceInfo:
    info = SourceInfo(rel, notebook=False)
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return info
    info.texts.append((None, "source", source))
    visitor = _Visitor(info, {}, {})
    _parse_into(visitor, info, source, None)
    return info
