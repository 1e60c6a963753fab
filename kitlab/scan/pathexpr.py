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
                    return None
                inner = const_str(value.value, env)
                if inner is None:
                    return None
                out.append(inner)
            else:
                inner = const_str(value, env)
                if inner is None:
                    return None
                out.append(inner)
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
        left, right = const_str(node.left, env), const_str(node.right, env)
        if left is None or right is None:
            return None
        return left + right if isinstance(node.op, ast.Add) else posixpath.join(left, right)
    if isinstance(node, ast.Call) and not node.keywords:
        name = dotted(node.func)
        if name in JOINERS or name in PATH_CTORS:
            parts = [const_str(a, env) for a in node.args]
            if not parts or any(p is None for p in parts):
                return None if parts else ("." if name in PATH_CTORS else None)
            return posixpath.join(*[p for p in parts if p is not None])
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute", "expanduser"):
            return const_str(node.func.value, env)
    return None
