"""Evaluating path expressions in notebook code where they are constant: string literals, f-strings and
``+`` over known names, ``os.path.join``, ``Path(...)`` and ``/``. Anything else is unknown (``None``)."""

from __future__ import annotations

import ast
import posixpath

JOINERS = {"os.path.join", "path.join", "posixpath.join", "join"}
PATH_CTORS = {"Path", "pathlib.Path", "PurePath", "PosixPath", "str", "os.fspath", "os.path.expanduser"}


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a Name/Attribute chain, else ""."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def const_str(node: ast.AST | None, env: dict[str, str]) -> str | None:
    return _eval(node, env, False)


def const_pattern(node: ast.AST | None, env: dict[str, str]) -> str | None:
    """Like ``const_str``, with each unknown value formatted into an f-string as ``*``: the glob of the
    files a loop writes (``f"models/fold_{k}.joblib"`` → ``models/fold_*.joblib``). ``None`` unless a
    wildcard was needed and the file name keeps some constant text."""
    value = _eval(node, env, True)
    if value is None or "*" not in value:
        return None
    name = posixpath.basename(value)
    return value if len(name.replace("*", "")) >= 3 and "*" not in posixpath.dirname(value) else None


def _eval(node: ast.AST | None, env: dict[str, str], wild: bool) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.JoinedStr):
        out: list[str] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None:
                    if not wild:
                        return None
                    out.append("*")
                    continue
                inner = _eval(value.value, env, wild)
                if inner is None:
                    if not wild:
                        return None
                    inner = "*"
                out.append(inner)
            else:
                inner = _eval(value, env, wild)
                if inner is None:
                    return None
                out.append(inner)
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        left, right = _eval(node.left, env, wild), _eval(node.right, env, wild)
        if left is None or right is None:
            return None
        return left + right if isinstance(node.op, ast.Add) else posixpath.join(left, right)
    if isinstance(node, ast.Call) and not node.keywords:
        name = dotted(node.func)
        if name in JOINERS or name in PATH_CTORS:
            parts = [_eval(a, env, wild) for a in node.args]
            if not parts or any(p is None for p in parts):
                return None if parts else ("." if name in PATH_CTORS else None)
            return posixpath.join(*[p for p in parts if p is not None])
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute", "expanduser"):
            return _eval(node.func.value, env, wild)
    return None
