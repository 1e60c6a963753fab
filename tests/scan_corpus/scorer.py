"""Scoring a drafted Kitfile against the hand-written expected one, over the whole corpus.

Items are (kind, path) with kind model | part | dataset | code | docs.

* recall: expected items the draft has with the same kind and path (also per kind);
* precision: drafted items that the expected Kitfile has with the same kind and path;
* main model: the draft's ``model.path`` equals the expected one (no model expected → none drafted);
* framework: the draft's ``model.framework`` equals the expected one (case-insensitive), over the
  workspaces whose expected Kitfile names a framework;
* leaks: files that would be packed (under a drafted path, not excluded by the ``.kitignore`` the scan
  suggests) that are secrets, caches or virtual environments.

``python -m tests.scan_corpus.scorer`` builds the corpus in a temporary folder and prints the figures
for kitlab's scanner and for the stand-in of ``kit init`` (``kitinit.py``).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitlab.kitfile.yamlio import safe_load
from kitlab.modelkit.kitignore import KitIgnore

KINDS = ("model", "part", "dataset", "code", "docs")
CACHE_SEGMENTS = {
    "__pycache__",
    ".ipynb_checkpoints",
    ".git",
    ".cache",
    ".dvc",
    ".mypy_cache",
    ".pytest_cache",
}
SECRET_NAMES = {".env", "credentials", "id_rsa", "id_ed25519", ".netrc", "kaggle.json"}


def items(kitfile: dict[str, Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    model = kitfile.get("model") or {}
    if model.get("path"):
        out.add(("model", _norm(model["path"])))
    for part in model.get("parts") or []:
        out.add(("part", _norm(part["path"])))
    for section, kind in (("datasets", "dataset"), ("code", "code"), ("docs", "docs")):
        for entry in kitfile.get(section) or []:
            out.add((kind, _norm(entry["path"])))
    return out


def _norm(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def leak_kind(rel: str, venvs: set[str]) -> str:
    parts = rel.split("/")
    name = parts[-1]
    if name in SECRET_NAMES or (name.startswith(".env.") and not name.endswith(".example")):
        return "secret"
    if any(p in CACHE_SEGMENTS for p in parts[:-1]):
        return "cache"
    if any(rel.startswith(v + "/") for v in venvs):
        return "venv"
    return ""


def packed_files(ws: Path, kitfile: dict[str, Any], kitignore: str) -> set[str]:
    """Files kit would put in some layer: under a Kitfile path, not matched by the .kitignore."""
    ignore = KitIgnore.from_text(kitignore) if kitignore else KitIgnore([])
    return {rel for rel in layer_files(ws, kitfile) if not ignore.matches(rel)}


def layer_files(ws: Path, kitfile: dict[str, Any]) -> set[str]:
    """Every regular file (symlinks left out) under the Kitfile's paths, relative to ``ws``."""
    out: set[str] = set()
    for _, path in items(kitfile):
        target = ws / path
        found = (
            [target]
            if target.is_file()
            else [p for p in target.rglob("*") if p.is_file() and not p.is_symlink()]
        )
        out.update(file.relative_to(ws).as_posix() for file in found)
    return out


def venvs_of(ws: Path) -> set[str]:
    return {p.parent.relative_to(ws).as_posix() for p in ws.rglob("pyvenv.cfg")}


@dataclass
class Score:
    name: str
    expected: set[tuple[str, str]]
    drafted: set[tuple[str, str]]
    main_ok: bool
    framework_ok: bool | None
    leaks: list[str] = field(default_factory=list)
    drafted_framework: str = ""

    def misses(self) -> list[tuple[str, str]]:
        return sorted(self.expected - self.drafted)

    def extras(self) -> list[tuple[str, str]]:
        return sorted(self.drafted - self.expected)


def score(name: str, ws: Path, expected: dict[str, Any], drafted: dict[str, Any], kitignore: str) -> Score:
    exp_model = (expected.get("model") or {}).get("path", "")
    got_model = (drafted.get("model") or {}).get("path", "")
    framework = (expected.get("model") or {}).get("framework", "")
    got_framework = str((drafted.get("model") or {}).get("framework", ""))
    venvs = venvs_of(ws)
    leaks = sorted(
        f"{rel} ({kind})" for rel in packed_files(ws, drafted, kitignore) if (kind := leak_kind(rel, venvs))
    )
    return Score(
        name,
        items(expected),
        items(drafted),
        _norm(exp_model) == _norm(got_model) if exp_model or got_model else True,
        (framework.lower() == got_framework.lower()) if framework else None,
        leaks,
        got_framework,
    )


@dataclass
class Figures:
    recall: float
    precision: float
    main_model: float
    framework: float
    leaks: int
    recall_by_kind: dict[str, float]
    workspaces: int

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v:.2f}" for k, v in self.recall_by_kind.items())
        return (
            f"{self.workspaces} workspaces: recall {self.recall:.3f} ({kinds}); "
            f"precision {self.precision:.3f}; main model {self.main_model:.3f}; "
            f"framework {self.framework:.3f}; leaks {self.leaks}"
        )


def figures(scores: list[Score]) -> Figures:
    expected = sum(len(s.expected) for s in scores)
    found = sum(len(s.expected & s.drafted) for s in scores)
    drafted = sum(len(s.drafted) for s in scores)
    by_kind_total: Counter[str] = Counter(k for s in scores for k, _ in s.expected)
    by_kind_found: Counter[str] = Counter(k for s in scores for k, _ in s.expected & s.drafted)
    frameworks = [s.framework_ok for s in scores if s.framework_ok is not None]
    return Figures(
        recall=found / expected if expected else 1.0,
        precision=(len([1 for s in scores for i in s.drafted if i in s.expected]) / drafted)
        if drafted
        else 1.0,
        main_model=sum(s.main_ok for s in scores) / len(scores),
        framework=sum(frameworks) / len(frameworks) if frameworks else 1.0,
        leaks=sum(len(s.leaks) for s in scores),
        recall_by_kind={k: by_kind_found[k] / by_kind_total[k] for k in KINDS if by_kind_total[k]},
        workspaces=len(scores),
    )


def build_corpus(base: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every workspace of the corpus under ``base``: name → (folder, expected Kitfile)."""
    from tests.scan_corpus.workspaces import WORKSPACES

    out: dict[str, tuple[Path, dict[str, Any]]] = {}
    for name, build in WORKSPACES.items():
        ws = base / name
        ws.mkdir(parents=True)
        expected = safe_load(build(ws)) or {}
        out[name] = (ws, expected)
    return out


def expected_tree(ws: Path, expected: dict[str, Any]) -> set[str]:
    """The files the expected Kitfile's layers hold once packed and unpacked: every file under its
    paths, less ``unpacked_without`` (what the workspace's .kitignore should keep out)."""
    without = [_norm(p) for p in expected.get("unpacked_without") or []]
    return {
        rel
        for rel in layer_files(ws, expected)
        if not any(rel == w or rel.startswith(w + "/") for w in without)
    }


def scan_drafts(
    corpus: dict[str, tuple[Path, dict[str, Any]]], root: Path
) -> dict[str, tuple[dict[str, Any], str]]:
    """kitlab's draft of every workspace: (Kitfile dict, suggested .kitignore)."""
    from kitlab.scan.types import ScanLimits
    from kitlab.scan.workspace import scan_workspace

    limits = ScanLimits(pinned_requirements=False)
    out = {}
    for name, (ws, _) in corpus.items():
        report = scan_workspace(ws, root, limits=limits)
        out[name] = (report.kitfile, str(report.hygiene.get("suggested_kitignore", "")))
    return out


def score_all(
    corpus: dict[str, tuple[Path, dict[str, Any]]], drafts: dict[str, tuple[dict[str, Any], str]]
) -> list[Score]:
    return [score(n, ws, exp, drafts[n][0], drafts[n][1]) for n, (ws, exp) in corpus.items()]


def report(scores: list[Score], out: Callable[[str], None] = print) -> None:
    for s in scores:
        if s.misses() or s.extras() or not s.main_ok or s.framework_ok is False or s.leaks:
            out(
                f"  {s.name}: missed {s.misses()} extra {s.extras()} "
                f"framework {s.drafted_framework!r} leaks {s.leaks}"
            )


def main() -> None:
    from tests.scan_corpus.kitinit import kit_init_draft

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HOME"] = str(home)  # the draft never picks up the developer's git identity
        corpus = build_corpus(Path(tmp) / "corpus")
        drafts = scan_drafts(corpus, Path(tmp))
        ours = score_all(corpus, drafts)
        print("kitlab scan:     " + figures(ours).line())
        report(ours)
        standin = [score(n, ws, exp, kit_init_draft(ws), "") for n, (ws, exp) in corpus.items()]
        print("kit init (rules): " + figures(standin).line())


if __name__ == "__main__":
    main()
