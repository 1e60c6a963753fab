"""Writing Kitfiles: kit's own YAML layout, and saving a form edit without losing the user's layout.

``dump_kitfile_yaml`` reproduces what kit writes on ``kit unpack``/``kit info`` (yaml.v3, indent 2,
struct order, omitempty, no digests). ``save_kitfile`` instead edits the user's existing YAML in place
with ruamel.yaml's round-trip mode, so comments, key order and formatting of untouched values survive;
it checks the result reads back as the intended Kitfile and falls back to kit's layout if not.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from kitlab.atomicfile import write_atomically
from kitlab.kitfile.config import kitfile_struct
from kitlab.kitfile.convert import kitfile_from_dict, kitfile_to_dict
from kitlab.kitfile.goyaml import go_yaml_dumps
from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.parse import load_kitfile
from kitlab.kitfile.problems import KitfileError
from kitlab.kitfile.structure import ObjectSpec, root_spec
from kitlab.kitfile.yamlnodes import Node, YamlSyntaxError, compose_first_document

__all__ = ["dump_kitfile_yaml", "render_kitfile", "save_kitfile"]


def dump_kitfile_yaml(kf: Kitfile, *, json_numbers: bool = False) -> str:
    """The Kitfile as kit's yaml.v3 marshals it.

    ``json_numbers=True`` prints numbers in ``parameters`` as kit does for a ModelKit's config, whose
    numbers went through JSON and became float64 (``1000000`` → ``1e+06``).
    """
    return go_yaml_dumps(kitfile_struct(kf, for_yaml=True), json_numbers=json_numbers)


# -- comment-preserving save ----------------------------------------------------------------------


def _raw_scalars(node: Node | None, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], str]:
    """Literal text of every scalar by key path, to keep ``1.10`` as written when it is unchanged."""
    out: dict[tuple[Any, ...], str] = {}
    if node is None:
        return out
    if node.kind == "scalar":
        out[prefix] = node.value
    elif node.kind == "seq":
        for i, item in enumerate(node.items):
            out.update(_raw_scalars(item, (*prefix, i)))
    else:
        for key, value in node.pairs:
            out.update(_raw_scalars(value, (*prefix, key.value)))
    return out


class _Updater:
    def __init__(self, raw: dict[tuple[Any, ...], str], old: dict[str, Any]) -> None:
        self.raw = raw
        self.old = old

    def mapping(
        self, target: CommentedMap, new: dict[str, Any], spec: ObjectSpec, path: tuple[Any, ...]
    ) -> None:
        for key in [k for k in target if k not in new]:
            del target[key]
        by_key = {f.key: f for f in spec.fields}
        for key, value in new.items():
            field = by_key[key]
            here = (*path, key)
            current = target.get(key)
            if key not in target:
                target[key] = value  # new keys go to the end
            elif field.kind == "string":
                if self.raw.get(here) != value:
                    target[key] = value
            elif field.kind == "any":
                if _lookup(self.old, here) != value:
                    self.any_value(target, key, value)
            elif field.kind == "object" and isinstance(current, CommentedMap):
                self.mapping(current, value, spec.child(field), here)
            elif field.kind == "object_list" and isinstance(current, CommentedSeq):
                self.sequence(current, value, spec.child(field), here)
            elif field.kind == "string_list" and isinstance(current, CommentedSeq):
                self.strings(current, value, here)
            else:
                target[key] = value

    def any_value(self, parent: CommentedMap | CommentedSeq, key: Any, value: Any) -> None:
        """Set free-form data, editing nested maps in place so comments inside them survive."""
        current = parent[key]
        if isinstance(current, CommentedMap) and isinstance(value, dict):
            for old_key in [k for k in current if k not in value]:
                del current[old_key]
            for sub_key, sub_value in value.items():
                if sub_key in current and current[sub_key] != sub_value:
                    self.any_value(current, sub_key, sub_value)
                elif sub_key not in current:
                    current[sub_key] = sub_value
        else:
            parent[key] = value

    def sequence(self, target: CommentedSeq, new: list[Any], spec: ObjectSpec, path: tuple[Any, ...]) -> None:
        del target[len(new) :]
        for i, item in enumerate(new):
            if i < len(target) and isinstance(target[i], CommentedMap):
                self.mapping(target[i], item, spec, (*path, i))
            elif i < len(target):
                target[i] = item
            else:
                target.append(item)

    def strings(self, target: CommentedSeq, new: list[str], path: tuple[Any, ...]) -> None:
        del target[len(new) :]
        for i, item in enumerate(new):
            if i >= len(target):
                target.append(item)
            elif self.raw.get((*path, i)) != item:
                target[i] = item


def _guess_indent(root: Node) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) used by the original text, for ruamel's dumper.

    Defaults to kit's own layout (2, 4, 2: sequences indented under their key) where the text has no
    nested block collection to learn from.
    """
    mapping: int | None = None
    offset: int | None = None
    sequence: int | None = None
    pending = [root]
    while pending:
        node = pending.pop()
        if node.kind == "map":
            for key, value in node.pairs:
                if value.line > key.line and value.kind == "map" and mapping is None:
                    mapping = value.column - key.column
                if value.line > key.line and value.kind == "seq" and offset is None:
                    offset = value.column - key.column
                    first = value.items[0] if value.items else None
                    if first is not None and first.kind == "map" and first.line == value.line:
                        sequence = offset + (first.column - value.column)
                pending.append(value)
        elif node.kind == "seq":
            pending.extend(node.items)
    mapping = mapping if mapping and mapping > 0 else 2
    offset = offset if offset is not None and offset >= 0 else 2
    return mapping, sequence if sequence else offset + 2, offset


def _lookup(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _edit_in_place(original_text: str, kf: Kitfile) -> str | None:
    """The original YAML with ``kf``'s values, or None if the original cannot be edited safely."""
    try:
        old = kitfile_to_dict(load_kitfile(original_text))
        root = compose_first_document(original_text)
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        document = yaml.load(original_text)
    except (KitfileError, YamlSyntaxError, YAMLError, ValueError):
        return None
    if not isinstance(document, CommentedMap) or root is None:
        return None
    _Updater(_raw_scalars(root), old).mapping(document, kitfile_to_dict(kf), root_spec(), ())
    yaml.width = 2**31 - 1  # never fold long lines, like kit
    mapping, sequence, offset = _guess_indent(root)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def render_kitfile(data: dict[str, Any], *, original_text: str | None = None) -> str:
    """The YAML text that saving the form's Kitfile ``data`` would write, without writing it.

    With ``original_text`` (the file as the user last saw it) the user's comments, key order and
    untouched values are kept; new keys are appended, removed keys deleted. Without it, or if the edit
    would not read back as ``data``, the text is kit's own layout. Raises ``KitfileError`` if ``data``
    is not a valid Kitfile.
    """
    kf = kitfile_from_dict(data)
    wanted = kitfile_to_dict(kf)
    text = _edit_in_place(original_text, kf) if original_text is not None else None
    if text is not None:
        try:
            if kitfile_to_dict(load_kitfile(text)) != wanted:
                text = None
        except KitfileError:
            text = None
    return text if text is not None else dump_kitfile_yaml(kf)


def save_kitfile(path: str | Path, data: dict[str, Any], *, original_text: str | None = None) -> str:
    """Write the form's Kitfile ``data`` to ``path`` atomically (as ``render_kitfile`` lays it out) and
    return the text written."""
    text = render_kitfile(data, original_text=original_text)
    write_atomically(Path(path), text)
    return text
