"""What the scanner reads from a Kitfile's model for a CNCF ModelPack's config (format, architecture,
parameter size, precision, quantisation): the same sniffers as ``kitlab scan``, on ``model.path`` alone.

Only headers are read (safetensors/GGUF/ONNX headers, a Hugging Face folder's config.json); nothing is
loaded or unpickled. A model the sniffers do not recognise, or a Kitfile that cannot be read (pack
reports that itself), gives empty facts: the config then holds what the Kitfile says.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kitlab.errors import KitlabError
from kitlab.kitfile import find_kitfile, is_modelkit_reference, load_kitfile, load_kitfile_file
from kitlab.kitfile.model import Kitfile
from kitlab.modelkit.modelpack import ModelFacts
from kitlab.scan.candidates import sniffed_facts
from kitlab.scan.folders import detect_model_folder
from kitlab.scan.sniff import extension_kind, sniff_file
from kitlab.scan.types import Sniffed
from kitlab.scan.walk import DirListing

# A model folder's files sniffed when it is no known layout (the largest first): bounded work.
MAX_SNIFFED_FILES = 16


def model_facts(
    context_dir: str | os.PathLike[str],
    *,
    kitfile_path: str | os.PathLike[str] | None = None,
    kitfile_text: str | None = None,
) -> ModelFacts:
    """Facts about the model of the Kitfile ``pack`` would use (same lookup: text, path relative to
    the context, or the context's Kitfile)."""
    context = Path(context_dir)
    try:
        if kitfile_text is not None:
            kf = load_kitfile(kitfile_text, source="<kitfile text>")
        else:
            path = context / kitfile_path if kitfile_path is not None else find_kitfile(context)
            if path is None:
                return ModelFacts()
            kf = load_kitfile_file(path)
    except (KitlabError, OSError, ValueError):
        return ModelFacts()
    return facts_for_kitfile(context, kf)


def facts_for_kitfile(context: Path, kf: Kitfile) -> ModelFacts:
    if kf.model is None or not kf.model.path or is_modelkit_reference(kf.model.path):
        return ModelFacts()
    sniffed = _sniff_model(context, kf.model.path)
    if sniffed is None:
        return ModelFacts()
    facts = sniffed_facts(sniffed)
    fmt = str(facts.get("format", ""))
    if fmt == "huggingface":
        # A transformers folder is a layout, not a weight format: ModelPack's format names the weights.
        fmt = "safetensors" if any((context / kf.model.path).glob("*.safetensors")) else ""
    return ModelFacts(
        architecture=str(facts.get("architecture", "")),
        format=fmt,
        param_size=str(facts.get("paramSize", "")),
        precision=str(facts.get("precision", "")),
        quantization=str(facts.get("quantization", "")),
    )


def _sniff_model(context: Path, rel: str) -> Sniffed | None:
    root = context.resolve()
    target = (context / rel).resolve()
    if target != root and root not in target.parents:
        return None  # pack refuses such a path; nothing outside the context is read
    try:
        info = target.lstat()
    except OSError:
        return None
    if stat.S_ISREG(info.st_mode):
        return sniff_file(str(target), info.st_size)
    if not stat.S_ISDIR(info.st_mode):
        return None
    files: list[tuple[int, str]] = []
    subdirs: list[str] = []
    try:
        with os.scandir(target) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    files.append((entry.stat(follow_symlinks=False).st_size, entry.name))
    except OSError:
        return None
    listing = DirListing(files=sorted(n for _, n in files), subdirs=sorted(subdirs))
    folder = detect_model_folder(target, rel, listing)
    if folder is not None and folder.sniffed.role == "model":
        return folder.sniffed
    for size, name in sorted(files, reverse=True)[:MAX_SNIFFED_FILES]:
        if extension_kind(name):
            continue
        sniffed = sniff_file(str(target / name), size)
        if sniffed is not None and sniffed.role == "model":
            return sniffed
    return None
