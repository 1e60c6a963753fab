"""Turn an unpacked ModelKit folder into a new notebook that loads its model, parts and datasets safely.

The notebook is written *into* the kit folder and uses paths relative to it, so it runs wherever the
folder is. Pickle-based files are loaded only as far as the pickle safety scan allows (see
``cells.gate``); everything else uses the framework's own non-executing loader.
"""

from __future__ import annotations

import keyword
import os
import posixpath
import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from kitlab.errors import InvalidInput, KitlabError, NotFound
from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.parse import find_kitfile, load_kitfile_file
from kitlab.loaders.artifacts import Artifact, describe
from kitlab.loaders.cells import comment, dataset_cell, model_cell
from kitlab.loaders.pickle_safety import DANGEROUS_VERDICT, SAFE, PickleReport, scan_tree
from kitlab.scan.pickles.policy import DANGEROUS, UNKNOWN

PANDAS_FORMATS = (
    "csv",
    "tsv",
    "parquet",
    "arrow",
    "jsonl",
    "json",
    "folder:csv",
    "folder:tsv",
    "folder:parquet",
)
MAX_FOLDER_ARTIFACTS = 20
MD_ESCAPES = str.maketrans({"|": "\\|", "<": "&lt;", ">": "&gt;", "`": "'", "\r": " ", "\n": " "})


def _md(text: str) -> str:
    return text.translate(MD_ESCAPES).strip()


# Markdown that must stay literal inside inline HTML (Markdown still applies between the tags).
CODE_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": " ", "\n": " "} | {c: "\\" + c for c in "\\`*_[]{}()#+!|~"}
)
WRAP_AFTER = "/:@"
WRAP_RUN = 16


def _wrapping_code(text: str) -> str:
    """``text`` as inline code that wraps in a narrow notebook. A digest or a reference is one long word,
    which a backtick code span never breaks, so it would overflow the cell: ``<wbr>`` (kept by
    JupyterLab's sanitizer, invisible when copied) marks where it may break, after ``/ : @`` and every
    ``WRAP_RUN`` characters of a longer run. Text that short stays a plain code span."""
    text = text.strip()
    if len(text) <= WRAP_RUN and not any(c in text for c in "`\r\n"):
        return f"`{text}`"
    pieces, run = [], 0
    for char in text:
        if run == WRAP_RUN:
            pieces.append("<wbr>")
            run = 0
        pieces.append(char.translate(CODE_ESCAPES))
        run += 1
        if char in WRAP_AFTER:
            pieces.append("<wbr>")
            run = 0
    return "<code>" + "".join(pieces).removesuffix("<wbr>") + "</code>"


# A long dotted name in prose (``sklearn.linear_model._logistic.LogisticRegression``), not part of an
# address or a path: it may break after its dots.
DOTTED_NAME = re.compile(r"(?<![\w.@/-])[A-Za-z_]\w*(?:\.\w+)+(?![\w@/-])")


def _md_wrapping(text: str) -> str:
    """``_md(text)`` whose long dotted names may wrap after their dots (``<wbr>``, as in
    ``_wrapping_code``)."""
    return DOTTED_NAME.sub(lambda m: m[0].replace(".", ".<wbr>") if len(m[0]) > WRAP_RUN else m[0], _md(text))


class _Names:
    """Python identifiers for the loaded objects, unique within the notebook."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, text: str, default: str, prefix: str = "") -> str:
        base = re.sub(r"\W+", "_", text.lower()).strip("_") or default
        base = prefix + base
        if base[0].isdigit():
            base = f"{default}_{base}"
        if keyword.iskeyword(base) or base in ("pd", "np", "joblib", "torch", "tf", "Path"):
            base += "_"
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name


def _inside(kit_dir: Path, path: str) -> str | None:
    """The POSIX path relative to the kit, or None when it is absolute or leaves the kit."""
    clean = posixpath.normpath(path.replace("\\", "/")) if path else "."
    if clean.startswith("/") or clean == ".." or clean.startswith("../"):
        return None
    resolved = (kit_dir / clean).resolve()
    root = kit_dir.resolve()
    if resolved != root and root not in resolved.parents:
        return None
    return clean


def _looks_like_reference(path: str) -> bool:
    """kit treats a model path with ':' or '@' as a parent ModelKit reference (docs/kit-format.md,
    "Parent kits")."""
    return ":" in path or "@" in path


class _Builder:
    def __init__(self, kit_dir: Path, kitfile: Kitfile, safety: list[PickleReport]) -> None:
        self.kit_dir = kit_dir
        self.kf = kitfile
        self.reports = {str(Path(r.path).resolve()): r for r in safety}
        self.names = _Names()
        self.notes: list[str] = []
        self.models: list[tuple[Artifact, str]] = []
        self.parts: list[tuple[Artifact, str]] = []
        self.datasets: list[tuple[Artifact, str]] = []
        self.packages: list[str] = []
        self.cells: list[NotebookNode] = []

    # ---- artifacts
    def _describe(
        self,
        role: str,
        name: str,
        path: str,
        *,
        hints: tuple[str, ...] = (),
        description: str = "",
        license: str = "",
        part_type: str = "",
    ) -> Artifact | None:
        rel = _inside(self.kit_dir, path)
        if rel is None:
            self.notes.append(
                f"{role} {name or path!r}: path {path!r} is outside the kit folder; not loaded."
            )
            return None
        if not (self.kit_dir / rel).exists():
            self.notes.append(
                f"{role} {name or path!r}: {rel!r} is not in this folder (unpacked with a filter?)."
            )
            return None
        return describe(
            self.kit_dir.resolve(),
            role,
            name,
            rel,
            self.reports,
            hints=hints,
            description=description,
            license=license,
            part_type=part_type,
        )

    def _expand_folder(self, art: Artifact, listed: set[str]) -> list[Artifact]:
        """A model folder no loader reads as a whole: load the recognisable files inside it one by one
        (except those the Kitfile lists as parts, which get their own cells). The folder itself when
        nothing inside is recognisable."""
        found = []
        for member in art.files[:200]:
            rel = f"{art.rel}/{member}" if art.rel != "." else member
            if rel in listed:
                continue
            sub = describe(self.kit_dir.resolve(), "part", Path(member).stem, rel, self.reports)
            if sub.family and sub.family not in ("csv", "tsv", "json", "jsonl"):
                found.append(sub)
            if len(found) >= MAX_FOLDER_ARTIFACTS:
                break
        if not found:
            return [art]
        estimators = [a for a in found if a.is_sklearn_like and not a.is_transformer]
        main = estimators[0] if estimators else found[0]
        for sub in found:
            sub.role = "model" if sub is main else "part"
            sub.description = art.description if sub is main else ""
        return found

    def collect(self) -> None:
        model = self.kf.model
        if model is not None and model.path:
            if _looks_like_reference(model.path) and not (self.kit_dir / model.path).exists():
                self.notes.append(
                    f"The model comes from the parent ModelKit {model.path!r}; unpack that kit to load it."
                )
            else:
                art = self._describe(
                    "model",
                    model.name,
                    model.path,
                    hints=(model.framework, model.format),
                    description=model.description,
                    license=model.license,
                )
                if art is not None and art.is_dir and not art.family:
                    listed = {_inside(self.kit_dir, p.path) for p in model.parts}
                    for sub in self._expand_folder(art, {p for p in listed if p}):
                        if sub.role == "model":
                            self.models.append((sub, self.names("model", "model")))
                        else:
                            self.parts.append((sub, self.names(sub.name, "part")))
                elif art is not None:
                    self.models.append((art, self.names("model", "model")))
        for part in model.parts if model is not None else []:
            art = self._describe(
                "part", part.name, part.path, hints=(part.type,), license=part.license, part_type=part.type
            )
            if art is not None:
                self.parts.append((art, self.names(part.name or Path(part.path).stem, "part")))
        for ds in self.kf.datasets:
            if ds.remote_path and not (ds.path and (self.kit_dir / ds.path).exists()):
                self.notes.append(f"Dataset {ds.name!r} lives at {ds.remote_path!r} (remote); not loaded.")
                continue
            art = self._describe("dataset", ds.name, ds.path, description=ds.description, license=ds.license)
            if art is not None:
                prefix = "df_" if art.family in PANDAS_FORMATS else ""
                self.datasets.append((art, self.names(ds.name or Path(ds.path).stem, "data", prefix)))

    # ---- cells
    def md(self, text: str, tag: str) -> None:
        cell = nbformat.v4.new_markdown_cell(text)
        cell.id = f"kitlab-{len(self.cells):03d}-{tag}"[:64]
        self.cells.append(cell)

    def code(self, source: str, tag: str, artifact: str = "") -> None:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"kitlab-{len(self.cells):03d}-{tag}"[:64]
        cell.metadata["kitlab"] = {"role": tag, **({"artifact": artifact} if artifact else {})}
        self.cells.append(cell)

    def header(self, reference: str, digest: str, safety: list[PickleReport]) -> None:
        """The kit's facts as lists, not tables: a list wraps to any width of the main area, where a
        table's columns overflow a narrow one (docs/user-guide.md, "Pulling a kit into a notebook")."""
        pkg = self.kf.package
        title = _md(pkg.name or self.kit_dir.name) + (f" {_md(pkg.version)}" if pkg.version else "")
        lines = [f"# {title}", ""]
        if pkg.description:
            lines += [_md(pkg.description), ""]
        facts = []
        if reference:
            facts.append(f"- **ModelKit:** {_wrapping_code(reference)}")
        if digest:
            facts.append(f"- **Digest:** {_wrapping_code(digest)}")
        if pkg.authors:
            facts.append(f"- **Authors:** {_md(', '.join(pkg.authors))}")
        if pkg.license:
            facts.append(f"- **License:** {_md(pkg.license)}")
        model = self.kf.model
        if model is not None:
            what = ", ".join(x for x in (model.framework, model.format) if x) or "not stated in the Kitfile"
            facts.append(f"- **Model:** {_md(model.name or model.path)} — {_md(what)}")
            for art, _ in self.models + self.parts:
                detected = art.summary or art.family or "unrecognised"
                facts.append(f"  - {_wrapping_code(art.rel)} — {_md_wrapping(detected)}")
            if model.license and model.license != pkg.license:
                facts.append(f"- **Model license:** {_md(model.license)}")
        lines += facts
        if self.datasets:
            lines += ["", "## Datasets", ""]
            for art, _ in self.datasets:
                about = f" — {_md(art.description)}" if art.description else ""
                license = f" (license: {_md(art.license)})" if art.license else ""
                lines.append(f"- **{_md(art.name or art.rel)}:** {_wrapping_code(art.rel)}{about}{license}")
        lines += ["", "## Pickle safety", ""]
        if safety:
            lines += [
                "Loading a pickle runs code chosen by whoever made it. kitlab read every pickle-based file "
                "without loading it: only files whose every imported global is on kitlab's reviewed "
                "allowlist are **safe** and get a live loader cell; the loaders of **unknown** and "
                "**dangerous** files are commented out below, with the reason.",
                "",
            ]
            for report in safety:
                noted = report.named(DANGEROUS) + report.named(UNKNOWN)
                shown = ", ".join(_wrapping_code(n) for n in noted[:5]) + (" …" if len(noted) > 5 else "")
                if not shown and report.verdict != SAFE:
                    shown = _md("; ".join((report.errors + report.notes)[:1]))
                verdict = f"**{report.verdict}**" if report.verdict != SAFE else report.verdict
                lines.append(
                    f"- {_wrapping_code(self._rel(report.path))} ({_md(report.format)}): {verdict}"
                    + (f" — {shown}" if shown else "")
                )
            blocked = [r for r in safety if r.verdict != SAFE]
            if blocked:
                worst = "dangerous" if any(r.verdict == DANGEROUS_VERDICT for r in blocked) else "unknown"
                lines += [
                    "",
                    f"> **{len(blocked)} pickle file(s) are {worst} or unproven: their loader cells are "
                    "disabled.** Run `kitlab scan-pickle` on them for every global they import.",
                ]
        else:
            lines.append("No pickle-based files were found in this kit.")
        for note in self.notes:
            lines += ["", f"> {_md(note)}"]
        self.md("\n".join(lines), "header")

    def _rel(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.kit_dir.resolve()).as_posix()
        except ValueError:
            return Path(path).name

    def requirements(self) -> None:
        lines = ["# Packages the cells below use (uncomment to install them into this kernel):"]
        lines.append(
            comment("%pip install " + " ".join(dict.fromkeys(self.packages))) if self.packages else "#"
        )
        kit_lines = []
        for entry in self.kf.code:
            rel = _inside(self.kit_dir, entry.path)
            if rel is None:
                continue
            path = self.kit_dir / rel
            if path.is_file() and path.name.startswith("requirements") and path.suffix == ".txt":
                kit_lines.append(f"# %pip install -r {rel}")
            elif path.is_dir():
                for req in sorted(path.glob("requirements*.txt")):
                    kit_lines.append(f"# %pip install -r {posixpath.join(rel, req.name)}")
                if (path / "pyproject.toml").is_file() or (path / "setup.py").is_file():
                    kit_lines.append(f"# %pip install {'./' + rel if rel != '.' else '.'}")
        if kit_lines:
            lines += ["# The kit's own requirements:", *(comment(k[2:]) for k in kit_lines)]
        self.code("\n".join(lines), "requirements")

    def artifact_cells(self) -> None:
        for role, items in (("Model", self.models), ("Model part", self.parts)):
            for art, var in items:
                label = f"## {role}: {_md(art.name or art.rel)}"
                self.md(label + "\n\n" + "  \n".join(_details(art)), "heading")
                source, packages = model_cell(art, var)
                self.packages += packages
                self.code(source, "model" if art.role == "model" else "part", art.rel)
        for art, var in self.datasets:
            self.md(f"## Dataset: {_md(art.name or art.rel)}\n\n" + "  \n".join(_details(art)), "heading")
            source, packages = dataset_cell(art, var)
            self.packages += packages
            self.code(source, "dataset", art.rel)

    def try_it(self) -> None:
        """Predict on the first rows of a tabular dataset with a scikit-learn-style estimator."""
        model = next(((a, v) for a, v in self.models if a.is_sklearn_like and not a.is_transformer), None)
        frame = next(
            ((a, v) for a, v in self.datasets if a.family in PANDAS_FORMATS and a.pickle is None), None
        )
        if model is None or frame is None or not _loadable(model[0]):
            return
        art, var = model
        attrs = art.pickle.root_attributes if art.pickle else []
        transform = ""
        if "feature_names_in_" in attrs or (art.pickle and art.pickle.root_class.endswith(".Pipeline")):
            source = var
        else:
            scalers = [(a, v) for a, v in self.parts if a.is_transformer and _loadable(a)]
            scaler = scalers[0][0].pickle if len(scalers) == 1 else None
            if scaler is None or "feature_names_in_" not in scaler.root_attributes:
                return
            source = scalers[0][1]
            transform = f"{source}.transform"
        data = frame[1]
        chosen = f"{transform}(rows[features])" if transform else "rows[features]"
        code = "\n".join(
            [
                f"rows = {data}.head(5)",
                f"features = list({source}.feature_names_in_)",
                "missing = [c for c in features if c not in rows.columns]",
                "if missing:",
                "    print('The dataset lacks columns the model was trained on:', missing)",
                "else:",
                f"    predictions = {var}.predict({chosen})",
                "    print(predictions)",
            ]
        )
        intro = f"## Try it\n\nPredict with `{var}` on the first rows of `{_md(frame[0].rel)}`"
        intro += f", scaled by `{source}` first." if transform else "."
        self.md(intro, "heading")
        self.code(code, "try-it")

    def docs(self) -> None:
        items = []
        for entry in self.kf.docs:
            rel = _inside(self.kit_dir, entry.path)
            if rel is not None:
                link = rel.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                items.append(
                    f"- [{_md(rel)}]({link})" + (f" — {_md(entry.description)}" if entry.description else "")
                )
        if items:
            self.md("## Documentation\n\n" + "\n".join(items), "docs")


def _details(art: Artifact) -> list[str]:
    """The lines under an artifact's heading: its path with what kitlab detected, its part type, the
    Kitfile's description. A description that starts with the detection (a Kitfile kitlab drafted says
    what the scan found, and more) is shown instead of it, not below it again."""
    summary, description = art.summary, art.description
    if summary and description.lower().startswith(summary.lower()):
        summary, description = description, ""
    details = [_wrapping_code(art.rel) + (f" — {_md_wrapping(summary)}" if summary else "")]
    if art.part_type:
        details.append(f"Type: {_md(art.part_type)}")
    if description:
        details.append(_md_wrapping(description))
    return details


def _loadable(art: Artifact) -> bool:
    """Whether the artifact's loader cell is live (a pickle only when the scan proved it safe)."""
    return art.pickle is None or art.pickle.verdict == SAFE


def build_notebook(
    kit_dir: Path,
    *,
    reference: str = "",
    digest: str = "",
    safety: list[PickleReport] | None = None,
    trust_note: str = "",
) -> NotebookNode:
    """A validated nbformat v4 notebook that loads the unpacked kit in ``kit_dir``. ``safety`` is the
    pickle scan of the folder (``scan_tree(kit_dir)`` when None); pickle-based entries it misses are
    scanned here, so no loader is ever written for an unscanned pickle. Raises ``NotFound`` without a
    Kitfile and ``KitfileError`` (an ``InvalidInput``) for a Kitfile that does not parse.
    ``trust_note``: Markdown saying who signed the kit and what produced it, as proven by the caller's
    signature check (docs/trust.md); it becomes the first cell."""
    kit_dir = Path(kit_dir)
    if find_kitfile(kit_dir) is None:
        raise NotFound(f"no Kitfile in {kit_dir}: unpack the kit with its Kitfile to build a notebook")
    kitfile = load_kitfile_file(kit_dir)
    reports = scan_tree(kit_dir) if safety is None else safety
    builder = _Builder(kit_dir, kitfile, reports)
    builder.collect()
    # The body comes first so the header and the install cell can say what it needs.
    builder.artifact_cells()
    builder.try_it()
    builder.docs()
    body, builder.cells = builder.cells, []
    # Pickles the given scan missed (found while describing entries) belong in the safety table too.
    builder.header(reference, digest, sorted(builder.reports.values(), key=lambda r: r.path))
    builder.requirements()
    nb = nbformat.v4.new_notebook()
    nb.cells = builder.cells + body
    if trust_note:
        note = nbformat.v4.new_markdown_cell(trust_note)
        note.id = "kitlab-0-trust"
        nb.cells.insert(0, note)
    for i, cell in enumerate(nb.cells):
        cell.id = re.sub(r"^kitlab-\d+", f"kitlab-{i:03d}", cell.id)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["kitlab"] = {"reference": reference, "digest": digest}
    nbformat.validate(nb)
    return nb


def _default_name(kit_dir: Path) -> str:
    try:
        name = load_kitfile_file(kit_dir).package.name
    except KitlabError:  # the name is cosmetic; build_notebook reports Kitfile problems properly
        name = ""
    name = re.sub(r"[^\w.-]+", "-", name or kit_dir.resolve().name).strip("-.") or "modelkit"
    return f"{name}.ipynb"


def write_notebook(
    kit_dir: Path,
    name: str | None = None,
    *,
    reference: str = "",
    digest: str = "",
    safety: list[PickleReport] | None = None,
    trust_note: str = "",
) -> Path:
    """Write the notebook into ``kit_dir`` and return its path. An existing notebook is never
    overwritten: ``name.ipynb`` becomes ``name-1.ipynb``, ``name-2.ipynb``, … (created exclusively)."""
    kit_dir = Path(kit_dir)
    filename = name or _default_name(kit_dir)
    if os.sep in filename or "/" in filename or filename in (".", "..") or not filename:
        raise InvalidInput(f"notebook name {filename!r} must be a plain file name")
    if not filename.endswith(".ipynb"):
        filename += ".ipynb"
    nb = build_notebook(kit_dir, reference=reference, digest=digest, safety=safety, trust_note=trust_note)
    stem = filename[: -len(".ipynb")]
    for n in range(10_000):
        target = kit_dir / (filename if n == 0 else f"{stem}-{n}.ipynb")
        try:
            with open(target, "x", encoding="utf-8") as fh:
                nbformat.write(nb, fh)
            return target
        except FileExistsError:
            continue
    raise InvalidInput(f"no free notebook name for {filename!r} in {kit_dir}")
