"""Checking a parsed Kitfile: kit's own rules plus the mistakes kit only notices late or never.

kit's rules (``ValidateKitfile`` in 1.7, ``KitFile.Validate`` in newer kit): no two layers with the same
path (an empty path counts as ``.``; 1.7 compares raw strings, newer kit cleaned paths, so ``src``
and ``./src`` are only a warning here), no absolute paths, model part ``type`` syntax, only local paths
except ``model.path`` (the one place kit reads a ModelKit reference: ``src:v1`` elsewhere is a file),
remote dataset rules, MCP server rules. Added here: paths that leave the context directory
(kit 1.7 silently packs an empty layer), paths that do not exist or escape through a symlink (when the
context directory is known), duplicate dataset names, non-SPDX licenses, and the kit version newer
fields need. Every problem is returned, each with its field path; nothing is raised.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from kitlab.kitfile.compat import compatibility_warnings
from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.pathtypes import PathType, path_type
from kitlab.kitfile.problems import Problem
from kitlab.kitfile.spdx import check_license

__all__ = ["go_clean", "layer_paths", "validate_kitfile"]

_PART_TYPE = re.compile(r"\w[\w.-]*", re.ASCII)
_PART_TYPE_MAX = 64


@dataclass(frozen=True)
class LayerPath:
    field: str  # e.g. "datasets[1].path"
    label: str  # e.g. "dataset layer 1", for messages
    path: str  # as written
    section: str  # model, parts, code, datasets, docs, prompts, mcpServers
    counts_for_duplicates: bool  # kit checks every layer path except prompts


def go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a slash-separated path ("" → ".")."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(segment)
    joined = "/".join(parts)
    return "/" + joined if rooted else joined or "."


def layer_paths(kf: Kitfile) -> list[LayerPath]:
    """Every path of the Kitfile that becomes (or names) a layer, in kit's layer order."""
    out: list[LayerPath] = []
    if kf.model is not None:
        out.append(LayerPath("model.path", "model", kf.model.path, "model", True))
        for i, part in enumerate(kf.model.parts):
            out.append(LayerPath(f"model.parts[{i}].path", f"model part {i}", part.path, "parts", True))
    out += [
        LayerPath(f"code[{i}].path", f"code layer {i}", c.path, "code", True) for i, c in enumerate(kf.code)
    ]
    out += [
        LayerPath(f"datasets[{i}].path", f"dataset layer {i}", d.path, "datasets", True)
        for i, d in enumerate(kf.datasets)
    ]
    out += [
        LayerPath(f"docs[{i}].path", f"docs layer {i}", d.path, "docs", True) for i, d in enumerate(kf.docs)
    ]
    out += [
        LayerPath(f"prompts[{i}].path", f"prompt {i}", p.path, "prompts", False)
        for i, p in enumerate(kf.prompts)
    ]
    out += [
        LayerPath(f"mcpServers[{i}].path", f"MCP server {i}", s.path, "mcpServers", True)
        for i, s in enumerate(kf.mcp_servers)
    ]
    return out


def _folders_above(clean: str) -> list[str]:
    """The folders a cleaned path lies within by path segments: ``.`` and its proper prefixes
    (``a/b/c`` → ``.``, ``a``, ``a/b``); none for ``.`` itself."""
    if clean == ".":
        return []
    if clean == "/":
        return ["."]
    parts = clean.split("/")
    return [".", *("/".join(parts[:i]) or "/" for i in range(1, len(parts)))]


class _Checker:
    def __init__(self, kf: Kitfile, context_dir: Path | None) -> None:
        self.kf = kf
        self.context_dir = context_dir
        self.problems: list[Problem] = []
        self.layers = layer_paths(kf)
        remote = {i for i, d in enumerate(kf.datasets) if d.remote_path}
        self.remote_fields = {f"datasets[{i}].path" for i in remote}

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message, severity="warning"))

    def run(self) -> list[Problem]:
        if self.kf.manifest_version != "1.0.0":
            shown = self.kf.manifest_version or "(empty)"
            self.warn(
                "manifestVersion", f"Kitfiles use manifestVersion 1.0.0, not {shown} (kit does not check it)"
            )
        self.check_path_kinds()
        self.check_duplicates()
        self.check_remote_datasets()
        self.check_parts()
        self.check_names()
        self.check_licenses()
        if self.context_dir is not None:
            self.check_on_disk(self.context_dir)
        self.problems.extend(compatibility_warnings(self.kf))
        return self.problems

    def check_path_kinds(self) -> None:
        for layer in self.layers:
            kind = layer_path_type(layer)
            if kind is PathType.MODELKIT:
                continue
            if kind is PathType.HTTP:
                self.error(layer.field, "HTTP(S) URLs are not supported; only local paths are")
            elif kind is PathType.S3:
                hint = " (use remotePath for remote datasets)" if layer.section == "datasets" else ""
                self.error(layer.field, f"s3:// URLs are not supported here{hint}; only local paths are")
            elif kind is PathType.OTHER_URL:
                self.error(layer.field, f"unrecognized URL {layer.path!r}; only local paths are supported")
            elif layer.path.startswith("/"):
                self.error(layer.field, "absolute paths are not supported in a Kitfile")
            elif go_clean(layer.path).split("/")[0] == "..":
                self.error(layer.field, f"{layer.path!r} leaves the context directory")
            elif layer.section == "mcpServers" and not layer.path.endswith(".mcpb"):
                self.error(layer.field, "path must point to a single .mcpb file")

    def check_duplicates(self) -> None:
        raw_seen: dict[str, LayerPath] = {}
        clean_seen: dict[str, LayerPath] = {}
        for layer in self.layers:
            if not layer.counts_for_duplicates:
                continue
            raw = layer.path or "."
            if raw in raw_seen:
                first = raw_seen[raw]
                self.error(
                    layer.field, f"{first.field} uses the same path {raw!r}; every layer needs its own path"
                )
                continue
            raw_seen[raw] = layer
            clean = go_clean(raw)
            if clean in clean_seen:
                # kit v1.7 compares the paths as written and packs both layers; newer kit refuses.
                first = clean_seen[clean]
                self.warn(
                    layer.field,
                    f"{layer.path!r} is the same path as {first.path!r} ({first.field}): both layers hold "
                    "the same files, and newer kit refuses the Kitfile",
                )
                continue
            clean_seen[clean] = layer

    def check_remote_datasets(self) -> None:
        # Each remote dataset's cleaned path → (its index, its field): a layer looks up only the folders
        # above it, so 10,000 remote datasets and 10,000 layers are not 100 million comparisons.
        remote_dirs: dict[str, list[tuple[int, str]]] = {}
        for i, dataset in enumerate(self.kf.datasets):
            field = f"datasets[{i}]"
            if not dataset.remote_path:
                if dataset.remote_hash:
                    self.error(f"{field}.remoteHash", "remoteHash only applies when remotePath is set")
                continue
            kind = path_type(dataset.remote_path)
            if kind is PathType.S3:
                if not dataset.remote_hash:
                    self.error(f"{field}.remoteHash", "remoteHash is required with an s3:// remotePath")
            elif kind is PathType.MODELKIT:
                if dataset.remote_hash:
                    self.warn(f"{field}.remoteHash", "remoteHash is ignored for ModelKit references")
                remote_dirs.setdefault(go_clean(dataset.path), []).append((i, f"{field}.path"))
            else:
                self.error(f"{field}.remotePath", "remotePath must be an s3:// URL or a ModelKit reference")
        if not remote_dirs:
            return
        for layer in self.layers:
            if not layer.counts_for_duplicates:
                continue
            folders = _folders_above(go_clean(layer.path))
            containing = sorted(remote for folder in folders for remote in remote_dirs.get(folder, []))
            for _, remote_field in containing:
                if remote_field != layer.field:
                    self.error(
                        layer.field, f"{layer.path!r} is inside the path of the remote dataset {remote_field}"
                    )

    def check_parts(self) -> None:
        if self.kf.model is None:
            return
        for i, part in enumerate(self.kf.model.parts):
            if not part.type:
                continue
            field = f"model.parts[{i}].type"
            if not _PART_TYPE.fullmatch(part.type):
                self.error(
                    field, "type must start with a letter, digit or '_' and contain only those, '.' and '-'"
                )
            if len(part.type) > _PART_TYPE_MAX:
                self.error(field, f"type is too long (at most {_PART_TYPE_MAX} characters)")

    def check_names(self) -> None:
        seen: dict[str, int] = {}
        for i, dataset in enumerate(self.kf.datasets):
            if not dataset.name:
                continue
            if dataset.name in seen:
                self.warn(
                    f"datasets[{i}].name",
                    f"datasets[{seen[dataset.name]}] has the same name; `kit unpack --filter datasets:NAME` "
                    "cannot tell them apart",
                )
            else:
                seen[dataset.name] = i
        servers: dict[str, int] = {}
        for i, server in enumerate(self.kf.mcp_servers):
            if not server.name:
                self.error(f"mcpServers[{i}].name", "every MCP server needs a name")
            elif server.name in servers:
                self.error(f"mcpServers[{i}].name", f"mcpServers[{servers[server.name]}] has the same name")
            else:
                servers[server.name] = i

    def check_licenses(self) -> None:
        fields = [("package.license", self.kf.package.license)]
        if self.kf.model is not None:
            fields.append(("model.license", self.kf.model.license))
            fields += [(f"model.parts[{i}].license", p.license) for i, p in enumerate(self.kf.model.parts)]
        fields += [(f"code[{i}].license", c.license) for i, c in enumerate(self.kf.code)]
        fields += [(f"datasets[{i}].license", d.license) for i, d in enumerate(self.kf.datasets)]
        for field, value in fields:
            if value:
                note = check_license(value)
                if note:
                    self.warn(field, f"not a valid SPDX license expression: {note}")

    def check_on_disk(self, context_dir: Path) -> None:
        root = os.path.realpath(context_dir)
        inside = root.rstrip("/") + "/"
        # Strings, and each folder resolved once: 20,000 files in one folder cost 20,000 lstats, not
        # 20,000 walks of the whole path (each a few lstats) and 40,000 Path objects.
        resolved_dirs: dict[str, str] = {}
        for layer in self.layers:
            if layer.field in self.remote_fields or layer_path_type(layer) is not PathType.LOCAL:
                continue
            clean = go_clean(layer.path)
            if clean.startswith("/") or clean.split("/")[0] == "..":
                continue  # already reported
            target = os.path.join(root, clean)
            try:
                is_link = stat.S_ISLNK(os.lstat(target).st_mode)
            except OSError:
                self.error(layer.field, f"{layer.path!r} does not exist in the context directory")
                continue
            parent, _, name = clean.rpartition("/")
            if is_link or clean == ".":
                resolved = os.path.realpath(target)
            else:
                if parent not in resolved_dirs:
                    resolved_dirs[parent] = os.path.realpath(os.path.join(root, parent))
                resolved = os.path.join(resolved_dirs[parent], name)
            if resolved != root and not resolved.startswith(inside):
                self.error(
                    layer.field, f"{layer.path!r} leads outside the context directory through a symbolic link"
                )
            elif layer.section == "mcpServers" and os.path.isdir(resolved):
                self.error(layer.field, "path must point to a single .mcpb file, not a folder")


def validate_kitfile(kf: Kitfile, context_dir: Path | None = None) -> list[Problem]:
    """All problems of ``kf`` (errors and warnings); paths are checked on disk if ``context_dir`` is given."""
    return _Checker(kf, Path(context_dir) if context_dir is not None else None).run()


def layer_path_type(layer: LayerPath) -> PathType:
    """kit reads a ModelKit reference only in ``model.path``; anywhere else ``src:v1`` is a file name."""
    kind = path_type(layer.path)
    if kind is PathType.MODELKIT and layer.field != "model.path":
        return PathType.LOCAL
    return kind
