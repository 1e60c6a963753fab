"""Choosing the main model among the candidates (files and folders recognised as models), and the parts
written next to it: what the same notebook saved beside it (scalers, encoders, tokenizers, label maps)
and preprocessing objects stored in the same folder.

The main model is chosen from evidence, never from directory order (docs/user-guide.md, "What was
found"): what code or a pipeline wrote (+40; +20 for one of many files a loop writes) and what inference
code loads (+20), a registered model version (+25), names a person ships (``best``/``final`` +15,
``last`` +4), the latest of numbered files (``epoch_10`` over ``epoch_9``, +6; numbered files are
intermediate, -20, when a best/final model of their format exists), what was written last among models
of one format (+5), recognised content (folder 50, file 30, training checkpoint 20, unrecognised save
10) and, weakly, size. Folds of
one training (``fold_0`` … ``fold_4``) are one ensemble: the first is the model, the others its parts."""

from __future__ import annotations

import math
import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from kitlab.scan.findings import Findings, cite
from kitlab.scan.relpaths import inside_any, under
from kitlab.scan.resolve import Resolved
from kitlab.scan.types import Entry, Sniffed

PART_HINTS = (
    ("tokenizer", "tokenizer"),
    ("vectorizer", "vectorizer"),
    ("scaler", "scaler"),
    ("encoder", "encoder"),
    ("label", "label-map"),
    ("classes", "label-map"),
    ("vocab", "vocabulary"),
    ("imputer", "imputer"),
    ("pca", "decomposition"),
    ("feature", "features"),
    ("config", "config"),
)


SHIP_NAMES = re.compile(
    r"(^|[^a-z])(best|final|production|prod|deploy|release|export|exported|inference|serving)([^a-z]|$)", re.I
)
LAST_NAMES = re.compile(r"(^|[^a-z])(last|latest)([^a-z]|$)", re.I)
ENSEMBLE_NAMES = re.compile(r"(^|[^a-z])(fold|kfold|cv|split|member|bag|seed)[-_ =]?\d", re.I)
WEIGHT_NAMES = re.compile(r"(model|weight|param|embed|ckpt|checkpoint|state|net)", re.I)
PART_CONFIG_HINTS = ("config", "tokenizer", "vocab", "label", "classes", "preprocess", "model", "arch")
SMALL_PART = 1024 * 1024


@dataclass
class Candidate:
    path: str
    size: int
    sniffed: Sniffed
    is_dir: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    writer: Resolved | None = None
    time: float = 0.0  # when it was written (file mtime, or the tracker run's end)
    weak: bool = False  # not recognised as a model by content: may be a part of a stronger one
    members: list[Candidate] = field(default_factory=list)  # the other folds of an ensemble
    ensemble: str = ""  # why ``members`` are one ensemble with this candidate
    metadata: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.sniffed.format,
            "framework": self.sniffed.framework,
            "size": self.size,
            "reason": self.reasons[0] if self.reasons else self.sniffed.summary,
        }


def _content_reason(f: Findings, path: str, sniffed: Sniffed) -> str:
    finding = f.files.get(path)
    return finding.content_reason() if finding else f"content: {sniffed.summary}"


def model_candidates(f: Findings) -> list[Candidate]:
    found: list[Candidate] = []
    for folder in f.model_folders:
        if folder.sniffed.role == "model":
            found.append(
                Candidate(
                    folder.path or ".",
                    f.size_of(folder.path),
                    folder.sniffed,
                    True,
                    50.0,
                    [f"content: {folder.sniffed.summary}"],
                )
            )
    for ckpt in f.checkpoints:
        cand = Candidate(
            ckpt.path, f.size_of(ckpt.path), ckpt.sniffed, True, 20.0, [f"content: {ckpt.sniffed.summary}"]
        )
        if ckpt.best:
            cand.score += 15
        found.append(cand)
    claimed = {c.path for c in found}
    for rel, finding in f.files.items():
        if finding.sniffed and finding.sniffed.role == "model" and not inside_any(rel, claimed):
            found.append(
                Candidate(
                    rel,
                    finding.size,
                    finding.sniffed,
                    False,
                    30.0,
                    [_content_reason(f, rel, finding.sniffed)],
                    time=finding.mtime,
                )
            )
    found += _unrecognised_saves(f, claimed)
    for cand in found:
        _evidence(f, cand)
    _sequences(found)
    _newest(found)
    found = _ensembles(found)
    return sorted(found, key=lambda c: (-c.score, c.path))


def _evidence(f: Findings, cand: Candidate) -> None:
    writes = [
        r
        for r in f.resolved
        if r.event.op == "write"
        and r.rel is not None
        and r.exists
        and (r.rel == cand.path or (cand.is_dir and under(r.rel, cand.path)))
    ]
    if writes:
        cand.writer = writes[-1]
        # One file of many a loop writes (f"…_{epoch}.pt") is less specific than a file written by name.
        looped = all(w.event.glob for w in writes)
        cand.score += 20 if looped else 40
        cand.reasons.insert(0, cite(writes[-1], "written in a loop" if looped else "written"))
    reads = [r for r in f.resolved if r.event.op == "read" and r.rel == cand.path]
    inputs = [r for r in reads if _trains_another(f, r.event.source, cand.path)]
    if reads and len(inputs) < len(reads):
        cand.score += 20
        cand.reasons.append(cite(next(r for r in reads if r not in inputs), "loaded"))
    elif inputs:
        # A pretrained base the code fine-tunes: an input of training, not its result.
        cand.score -= 10
        cand.reasons.append(cite(inputs[0], "read as a training input") + ", which saves another model")
    if cand.sniffed.details.get("training_state"):
        cand.score -= 5
        cand.reasons.append("holds optimizer state: a training checkpoint")
    run = f.trackers.run_of(cand.path) if f.trackers is not None else None
    if run is not None:
        cand.reasons.append(f"from {run.describe()}")
        cand.metadata["run"] = run.to_parameters()
        cand.time = run.time or cand.time
    registered = f.trackers.registered.get(cand.path) if f.trackers is not None else None
    if registered:
        cand.score += 25
        cand.reasons.insert(0, f"the latest {registered} (MLflow model registry)")
        cand.metadata["registered"] = registered
    name = posixpath.basename(cand.path.rstrip("/"))
    if SHIP_NAMES.search(name):
        cand.score += 15
        cand.reasons.append(f"named {name!r}: the artifact a person ships (best/final over intermediate)")
    elif LAST_NAMES.search(name):
        cand.score += 4
    cand.score += 0.5 * math.log10(cand.size + 1)


def _trains_another(f: Findings, source: str, path: str) -> bool:
    """``source`` saves a model other than ``path`` (a model-saving call to another path, or one whose
    path is not constant)."""
    info = next((s for s in f.sources if s.path == source), None)
    if info is not None and info.unresolved_model_writes:
        return True
    return any(
        r.event.source == source
        and r.event.op == "write"
        and r.event.what in ("model", "dir")
        and r.rel is not None
        and not under(r.rel, path)
        for r in f.resolved
    )


def _numbers(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def _sequences(found: list[Candidate]) -> None:
    """Numbered files of one template (epoch_1 … epoch_12): the highest number is the latest."""
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for cand in found:
        if re.search(r"\d", cand.path) and not ENSEMBLE_NAMES.search(posixpath.basename(cand.path)):
            groups.setdefault((cand.sniffed.format, re.sub(r"\d+", "#", cand.path)), []).append(cand)
    shipped = {c.sniffed.format for c in found if SHIP_NAMES.search(posixpath.basename(c.path))}
    for (fmt, _), members in groups.items():
        if len(members) < 2:
            continue
        if fmt in shipped:
            for cand in members:
                cand.score -= 20
                cand.reasons.append(
                    f"an intermediate {fmt} model: a best/final one of the same format exists"
                )
            continue
        latest = max(members, key=lambda c: _numbers(c.path))
        latest.score += 6
        latest.reasons.append(
            f"the latest of {len(members)} numbered {latest.sniffed.format} models "
            f"({posixpath.basename(latest.path)}, by number, not by name order)"
        )


def _newest(found: list[Candidate]) -> None:
    """Of several models of one format, and of several files of one name (``best.pt`` of two runs), the
    one written last."""
    groups: dict[str, list[Candidate]] = {}
    for cand in found:
        if cand.time:
            groups.setdefault(f"{cand.sniffed.format} models", []).append(cand)
            groups.setdefault(f"files named {posixpath.basename(cand.path)}", []).append(cand)
    for label, members in groups.items():
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda c: c.time, reverse=True)
        if ordered[0].time - ordered[1].time >= 1.0:
            ordered[0].score += 5
            ordered[0].reasons.append(f"written last of the {len(members)} {label}")


def _ensembles(found: list[Candidate]) -> list[Candidate]:
    """Folds of one training (same folder, same numbered name, same format) become one candidate: the
    first fold, with the others as its members (parts)."""
    groups: dict[tuple[str, str, str], list[Candidate]] = {}
    for cand in found:
        name = posixpath.basename(cand.path)
        if ENSEMBLE_NAMES.search(name):
            key = (posixpath.dirname(cand.path), re.sub(r"\d+", "#", name), cand.sniffed.format)
            groups.setdefault(key, []).append(cand)
    merged: set[int] = set()
    for (_, template, _), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda c: _numbers(posixpath.basename(c.path)))
        head = members[0]
        head.members = members[1:]
        head.score = max(c.score for c in members)
        head.ensemble = (
            f"one ensemble: {len(members)} folds of the same training named {template} "
            f"({', '.join(posixpath.basename(c.path) for c in members[:6])})"
        )
        head.reasons.append(head.ensemble)
        merged.update(id(c) for c in members[1:])
    return [c for c in found if id(c) not in merged]


def _unrecognised_saves(f: Findings, claimed: set[str]) -> list[Candidate]:
    """Files and folders a model-saving call wrote whose bytes were not recognised as a model: weaker
    candidates. A pickle of the user's own classes (``__main__.CentroidModel``) counts; a pickle of
    builtins (a list of labels) does not; raw arrays (``ndarray.tofile``) count when named like weights."""
    found: list[Candidate] = []
    folders = {m.path for m in f.model_folders}
    for res in f.resolved:
        rel = res.rel
        what = res.event.what
        if res.event.op != "write" or what not in ("model", "dir", "array") or rel is None or not res.exists:
            continue
        finding = f.files.get(rel)
        if inside_any(rel, claimed) or rel in folders or (finding and finding.ext_kind):
            continue
        sniffed_as = finding.sniffed if finding else None
        if sniffed_as is not None and not _own_classes(sniffed_as):
            continue
        if what == "array" and not WEIGHT_NAMES.search(f"{res.event.obj} {posixpath.basename(rel)}"):
            continue
        ext = os.path.splitext(rel)[1].lstrip(".").lower()
        if sniffed_as is not None:
            sniffed = Sniffed(
                "model",
                sniffed_as.format,
                f"{sniffed_as.summary}, saved by {res.event.func}: the code's own model class",
                details=sniffed_as.details,
            )
        else:
            sniffed = Sniffed(
                "model",
                ext if finding else "folder",
                f"saved by {res.event.func}; its content is not a format kitlab recognises"
                + (" (raw array bytes)" if what == "array" else ""),
            )
        cand = Candidate(rel, f.size_of(rel), sniffed, finding is None, 10.0, [sniffed.summary], weak=True)
        cand.time = finding.mtime if finding else 0.0
        found.append(cand)
        claimed.add(rel)
    return found


def _own_classes(sniffed: Sniffed) -> bool:
    """A pickle whose outermost object is an instance of a class the user's code defines."""
    if sniffed.role != "other" or sniffed.format not in ("pickle", "joblib"):
        return False
    outer = str(sniffed.details.get("outer", ""))
    classes = [str(c) for c in sniffed.details.get("classes", [])]
    first = outer or (classes[0] if classes else "")
    return bool(first) and first.split(".")[0] not in ("numpy", "pandas", "builtins")


def _config_beside(rel: str, sniffed: Sniffed, model: str, home: str) -> bool:
    """A configuration file in the model's own folder that belongs to it: named after the model or as a
    model configuration (``unet_config.json`` beside ``unet.safetensors``)."""
    if sniffed.role != "config" or not home:
        return False
    name = posixpath.basename(rel).lower()
    stem = _part_name(model).lower()
    return name.startswith(stem) or any(h in name for h in PART_CONFIG_HINTS)


def part_type(path: str, sniffed: Sniffed | None, obj: str) -> str:
    if sniffed is not None and sniffed.part_type:
        return sniffed.part_type
    text = f"{obj} {os.path.basename(path)}".lower()
    return next((kind for hint, kind in PART_HINTS if hint in text), "artifact")


def _part_name(path: str) -> str:
    stem = os.path.basename(path.rstrip("/"))
    return re.sub(r"\.[^.]+$", "", stem) or stem


def model_parts(f: Findings, main: Candidate, others: list[Candidate]) -> list[Entry]:
    parts: dict[str, Entry] = {}
    other_paths = {c.path for c in others if not c.weak}
    for member in main.members:
        entry = Entry(
            "modelpart",
            member.path,
            member.size,
            name=_part_name(member.path),
            part_type="ensemble-member",
            format=member.sniffed.format,
            framework=member.sniffed.framework,
            description=member.sniffed.summary,
        )
        entry.reasons += [main.ensemble, *member.reasons[:1]]
        parts[member.path] = entry
    for location in main.sniffed.details.get("external_data", []) if not main.is_dir else []:
        data = posixpath.join(posixpath.dirname(main.path), str(location))
        if data in f.files and data not in parts:
            entry = Entry("modelpart", data, f.files[data].size, name=_part_name(data), part_type="weights")
            entry.reasons.append(f"external data of {main.path}: its initializers' location")
            parts[data] = entry
    if main.writer is not None:
        source = main.writer.event.source
        for res in f.resolved:
            rel = res.rel
            if (
                res.event.op != "write"
                or res.event.source != source
                or rel is None
                or not res.exists
                or under(rel, main.path)
                or rel in other_paths
                or rel in parts
            ):
                continue
            finding = f.files.get(rel)
            folder = next((m for m in f.model_folders if m.path == rel), None)
            sniffed = finding.sniffed if finding else (folder.sniffed if folder else None)
            kind = part_type(rel, sniffed, res.event.obj)
            beside = posixpath.dirname(rel) == posixpath.dirname(main.path)
            # Small data written beside the model and named like a part (feature_names.json, a list)
            # belongs to it; other data the same code wrote is a dataset.
            small_part = beside and kind != "artifact" and f.size_of(rel) <= SMALL_PART
            if sniffed is not None and (
                sniffed.role == "model" or (sniffed.role == "data" and not small_part)
            ):
                continue
            if finding is not None and finding.ext_kind in ("image", "audio", "docs"):
                continue
            if kind == "artifact" and not beside:
                continue  # e.g. metrics.json elsewhere: saved by the notebook, but not part of the model
            entry = Entry(
                "modelpart",
                rel,
                f.size_of(rel),
                name=_part_name(rel),
                part_type=kind,
                format=sniffed.format if sniffed else "",
                framework=sniffed.framework if sniffed else "",
                description=sniffed.summary if sniffed else "",
            )
            entry.reasons.append(cite(res, "written") + " — saved by the notebook that wrote the model")
            if finding is not None and finding.content_reason():
                entry.reasons.append(finding.content_reason())
            parts[rel] = entry
    if not main.is_dir:
        home = posixpath.dirname(main.path)
        for rel, finding in f.files.items():
            sniffed = finding.sniffed
            if (
                sniffed is None
                or rel in parts
                or posixpath.dirname(rel) != home
                or rel in other_paths
                or not (sniffed.role == "modelpart" or _config_beside(rel, sniffed, main.path, home))
            ):
                continue
            entry = Entry(
                "modelpart",
                rel,
                finding.size,
                name=_part_name(rel),
                part_type=sniffed.part_type or part_type(rel, sniffed, ""),
                format=sniffed.format,
                framework=sniffed.framework,
                description=sniffed.summary,
            )
            entry.reasons += [finding.content_reason(), f"in the same folder as the model {main.path}"]
            parts[rel] = entry
        for folder in f.model_folders:
            if folder.sniffed.role == "modelpart" and posixpath.dirname(folder.path) == home:
                entry = Entry(
                    "modelpart",
                    folder.path,
                    f.size_of(folder.path),
                    name=_part_name(folder.path),
                    part_type=folder.sniffed.part_type,
                    format=folder.sniffed.format,
                    framework=folder.sniffed.framework,
                    description=folder.sniffed.summary,
                )
                entry.reasons += [f"content: {folder.sniffed.summary}", f"beside the model {main.path}"]
                parts.setdefault(folder.path, entry)
    return sorted(parts.values(), key=lambda e: e.path)


def model_entry(main: Candidate, others: list[Candidate]) -> Entry:
    name = _part_name(main.path) if main.path != "." else ""
    description = main.sniffed.summary
    run = main.metadata.get("run")
    if isinstance(run, dict):
        description += f"; from {run.get('tracker')} run {run.get('run_name') or run.get('run_id')}"
    entry = Entry(
        "model",
        main.path,
        main.size,
        name=name,
        format=main.sniffed.format,
        framework=main.sniffed.framework,
        version=main.sniffed.version,
        description=description,
        reasons=list(main.reasons),
    )
    entry.metadata = modelpack_metadata(main)
    facts = {k: v for k, v in entry.metadata.items() if k not in ("run", "registered", "parameterCount")}
    if len(facts) > 1:
        entry.reasons.append("ModelPack metadata: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
    entry.alternatives = [c.summary() for c in others[:8]]
    if others:
        entry.reasons.append(f"chosen over {len(others)} other model candidate(s) on the evidence above")
    return entry


def modelpack_metadata(cand: Candidate) -> dict[str, Any]:
    """What the CNCF ModelPack config asks for, where the sniffers read it (``sniffed_facts``), plus the
    tracker run the model came from."""
    out = sniffed_facts(cand.sniffed)
    for key in ("run", "registered"):
        if cand.metadata.get(key):
            out[key] = cand.metadata[key]
    return out


def sniffed_facts(sniffed: Sniffed) -> dict[str, Any]:
    """format, architecture, paramSize (and the exact parameterCount), precision, quantization of one
    sniffed model, where its files say them."""
    details = sniffed.details
    out: dict[str, Any] = {"format": sniffed.format} if sniffed.format else {}
    architecture = str(details.get("architecture", "") or "")
    if architecture:
        out["architecture"] = architecture
    params = details.get("parameters")
    if isinstance(params, int) and params > 0:
        out["paramSize"] = _param_size(params)
        out["parameterCount"] = params
    for key in ("precision", "quantization"):
        value = str(details.get(key, "") or "")
        if value:
            out[key] = value
    return out


def _param_size(count: int) -> str:
    """The model-spec's paramSize: a count with at most one decimal and a scale letter (8B, 6.7B, 100M)."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f}".removesuffix(".0") + unit
    return str(count)
