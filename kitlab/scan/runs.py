"""Run-tracker folders: where a model trained under MLflow, Weights & Biases, PyTorch Lightning or
Ultralytics lives, which run it came from (id, params, metrics: description material), and which of the
folder's other files are run logs that stay out of the kit.

* MLflow's file store: ``mlruns/<experiment>/<run>/{meta.yaml, params/, metrics/, tags/, artifacts/}``;
  MLflow 3 logged models in ``mlruns/<experiment>/models/m-<id>/``; registered versions in
  ``mlruns/models/<name>/version-<n>/meta.yaml`` (``source`` points at the run's artifact folder).
* W&B: ``wandb/run-<date>_<time>-<id>/files/`` (``config.yaml``, ``wandb-summary.json``, saved files).
* Lightning: ``lightning_logs/version_<n>/`` (``hparams.yaml``, ``checkpoints/``).
* Ultralytics: a run folder with ``args.yaml`` and ``weights/`` (``best.pt``, ``last.pt``).
* W&B artifact downloads: ``artifacts/<name>:v<n>/`` (``artifact.download()``'s default).

Everything here reads small text files only, a bounded number of them (``MAX_VALUES`` per run).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kitlab.scan.relpaths import under
from kitlab.scan.walk import DirListing

MAX_VALUES = 30
SMALL = 64 * 1024
# Run params are copied into the draft: never one that names or holds a credential.
SENSITIVE_KEY = re.compile(r"(token|secret|passw|api[_-]?key|access[_-]?key|credential|auth)", re.I)
WANDB_RUN = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(\w+)$")
WANDB_ARTIFACT = re.compile(r"^([\w.-]+):(v\d+)$")  # artifact.download()'s ./artifacts/<name>:<version>


@dataclass
class RunInfo:
    tracker: str
    path: str  # the run's folder
    run_id: str
    name: str = ""
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    time: float = 0.0  # when the run ended (seconds), for "the latest run"

    def describe(self) -> str:
        self.params = safe_params(self.params)
        text = f"{self.tracker} run {self.name or self.run_id}"
        if self.name and self.run_id and self.name != self.run_id:
            text += f" ({self.run_id})"
        if self.params:
            text += "; params " + ", ".join(f"{k}={v}" for k, v in list(self.params.items())[:8])
        if self.metrics:
            text += "; metrics " + ", ".join(f"{k}={v:g}" for k, v in list(self.metrics.items())[:8])
        return text

    def to_parameters(self) -> dict[str, Any]:
        self.params = safe_params(self.params)
        out: dict[str, Any] = {"tracker": self.tracker, "run_id": self.run_id}
        if self.name:
            out["run_name"] = self.name
        if self.params:
            out["params"] = dict(self.params)
        if self.metrics:
            out["metrics"] = dict(self.metrics)
        return out


def safe_params(values: dict[str, str]) -> dict[str, str]:
    """``values`` less any whose name says credential or whose text the secret detector flags
    (kitlab.modelkit.secrets, the same detector the pack path runs)."""
    from kitlab.modelkit.secrets import scan_text

    return {k: v for k, v in values.items() if not SENSITIVE_KEY.search(k) and not scan_text(f"{k}={v}")}


@dataclass
class Trackers:
    roots: dict[str, str] = field(default_factory=dict)  # tracker folder → why its logs stay out
    runs: dict[str, RunInfo] = field(default_factory=dict)  # run folder → what it was
    registered: dict[str, str] = field(default_factory=dict)  # model folder → "name version n"

    def run_of(self, path: str) -> RunInfo | None:
        """The innermost run folder holding ``path``: a walk up its parents, O(depth)."""
        current = path
        while current:
            if current in self.runs:
                return self.runs[current]
            current = current.rpartition("/")[0]
        return None

    def root_of(self, path: str) -> str:
        return next((r for r in self.roots if under(path, r)), "")


def _read(path: Path, limit: int = SMALL) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


def _yaml_scalars(text: str) -> dict[str, str]:
    """Top-level ``key: value`` lines of a small YAML file (no YAML library needed for these)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z_][\w./-]*):\s*(.*?)\s*$", line)
        if match:
            out[match.group(1)] = match.group(2).strip("'\"")
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def find_trackers(folder: Path, dirs: dict[str, DirListing]) -> Trackers:
    found = Trackers()
    for rel in sorted(dirs):
        if not rel or found.root_of(rel):
            continue
        base = os.path.basename(rel)
        listing = dirs[rel]
        if base in ("mlruns", "mlartifacts"):
            found.roots[rel] = "run logs (MLflow tracking)"
            _mlflow(folder, rel, dirs, found)
        elif base == "wandb" and any(WANDB_RUN.match(s) for s in listing.subdirs):
            found.roots[rel] = "run logs (Weights & Biases)"
            _wandb(folder, rel, dirs, found)
        elif base == "artifacts" and any(WANDB_ARTIFACT.match(s) for s in listing.subdirs):
            found.roots[rel] = "other downloaded artifact versions (Weights & Biases)"
            for sub in sorted(listing.subdirs):
                match = WANDB_ARTIFACT.match(sub)
                if match:
                    run = f"{rel}/{sub}"
                    found.runs[run] = RunInfo("Weights & Biases artifact", run, sub, name=sub)
        elif base == "lightning_logs":
            found.roots[rel] = "run logs (PyTorch Lightning)"
            for sub in sorted(listing.subdirs):
                run = f"{rel}/{sub}"
                params = _yaml_scalars(_read(folder / run / "hparams.yaml"))
                found.runs[run] = RunInfo("PyTorch Lightning", run, sub, params=_first(params))
        elif "args.yaml" in listing.files and "weights" in listing.subdirs:
            found.roots[rel] = "run logs (Ultralytics)"
            args = _yaml_scalars(_read(folder / rel / "args.yaml"))
            keep: dict[str, str] = {
                k: args[k] for k in ("task", "model", "data", "epochs", "imgsz") if k in args
            }
            found.runs[rel] = RunInfo(
                "Ultralytics", rel, base, params=keep, metrics=_results_csv(folder / rel)
            )
    return found


def _first(values: dict[str, str]) -> dict[str, str]:
    return dict(list(values.items())[:MAX_VALUES])


def _mlflow(folder: Path, root: str, dirs: dict[str, DirListing], found: Trackers) -> None:
    listing = dirs[root]
    for exp in sorted(listing.subdirs):
        exp_rel = f"{root}/{exp}"
        if exp in ("models", ".trash") or exp_rel not in dirs:
            continue  # the registry (read below) and deleted experiments
        for run in sorted(dirs[exp_rel].subdirs):
            run_rel = f"{exp_rel}/{run}"
            if run_rel not in dirs:
                continue
            if run == "models":
                for model in sorted(dirs[run_rel].subdirs):
                    model_rel = f"{run_rel}/{model}"
                    meta = _yaml_scalars(_read(folder / model_rel / "meta.yaml"))
                    source = meta.get("source_run_id", "")
                    found.runs[model_rel] = RunInfo(
                        "MLflow", model_rel, source or model, name=f"logged model {model}"
                    )
                continue
            if "meta.yaml" not in dirs[run_rel].files:
                continue
            meta = _yaml_scalars(_read(folder / run_rel / "meta.yaml"))
            info = RunInfo("MLflow", run_rel, meta.get("run_id", run), name=meta.get("run_name", ""))
            end = _number(meta.get("end_time", "") or meta.get("start_time", ""))
            info.time = end / 1000 if end else 0.0
            for kind in ("params", "metrics"):
                sub = f"{run_rel}/{kind}"
                for name in sorted(dirs[sub].files)[:MAX_VALUES] if sub in dirs else []:
                    text = _read(folder / sub / name, 4096).strip()
                    if kind == "params":
                        info.params[name] = text[:200]
                    else:
                        last = text.splitlines()[-1].split() if text else []
                        value = _number(last[1]) if len(last) >= 2 else None
                        if value is not None:
                            info.metrics[name] = value
            found.runs[run_rel] = info
    registry = f"{root}/models"
    if registry not in dirs:
        return
    for name in sorted(dirs[registry].subdirs):
        versions = []
        for sub in dirs.get(f"{registry}/{name}", DirListing()).subdirs:
            match = re.match(r"^version-(\d+)$", sub)
            if match:
                versions.append((int(match.group(1)), sub))
        if not versions:
            continue
        number, sub = max(versions)
        meta = _yaml_scalars(_read(folder / registry / name / sub / "meta.yaml"))
        target = _registered_source(root, meta, found)
        if target:
            found.registered[target] = f"registered model {meta.get('name', name)} version {number}"


def _registered_source(root: str, meta: dict[str, str], found: Trackers) -> str:
    """The workspace folder a registered version's ``source`` names (file://…/mlruns/…, runs:/, models:/)."""
    source = meta.get("source", "")
    marker = "/" + os.path.basename(root) + "/"
    if marker in source:
        return f"{root}/{source.split(marker, 1)[1].strip('/')}"
    match = re.match(r"^runs:/(\w+)/(.+)$", source)
    if match:
        run = next((r for r in found.runs.values() if r.run_id == match.group(1)), None)
        return f"{run.path}/artifacts/{match.group(2).strip('/')}" if run else ""
    match = re.match(r"^models:/(m-\w+)", source)
    if match:
        run = next((r for p, r in found.runs.items() if p.endswith("/" + match.group(1))), None)
        return f"{run.path}/artifacts" if run else ""
    run_id = meta.get("run_id", "")
    run = next((r for r in found.runs.values() if r.run_id == run_id), None)
    return f"{run.path}/artifacts/model" if run else ""


def _wandb(folder: Path, root: str, dirs: dict[str, DirListing], found: Trackers) -> None:
    import json

    for sub in sorted(dirs[root].subdirs):
        match = WANDB_RUN.match(sub)
        if not match:
            continue
        run_rel = f"{root}/{sub}"
        info = RunInfo("Weights & Biases", run_rel, match.group(1))
        config = _read(folder / run_rel / "files" / "config.yaml")
        for key, value in re.findall(r"^([A-Za-z]\w*):\n(?:  desc: .*\n)?  value: (.+)$", config, re.M):
            if len(info.params) < MAX_VALUES:
                info.params[key] = value.strip()
        try:
            summary = json.loads(_read(folder / run_rel / "files" / "wandb-summary.json") or "{}")
        except ValueError:
            summary = {}
        if isinstance(summary, dict):
            for key, value in summary.items():
                if (
                    not key.startswith("_")
                    and isinstance(value, (int, float))
                    and len(info.metrics) < MAX_VALUES
                ):
                    info.metrics[key] = float(value)
        found.runs[run_rel] = info


def _results_csv(run: Path) -> dict[str, float]:
    """The last row of an Ultralytics results.csv: the run's final metrics."""
    lines = [ln for ln in _read(run / "results.csv").splitlines() if ln.strip()]
    if len(lines) < 2:
        return {}
    names = [n.strip() for n in lines[0].split(",")]
    values = [v.strip() for v in lines[-1].split(",")]
    out: dict[str, float] = {}
    for name, value in zip(names, values, strict=False):
        number = _number(value)
        if number is not None and name.startswith("metrics/") and len(out) < MAX_VALUES:
            out[name] = number
    return out


def carve(dirs: dict[str, DirListing], root: str, keep: list[str]) -> list[str]:
    """Paths under ``root`` that hold none of ``keep``: the run logs to leave out (a short list: whole
    sibling folders and files along the way down to each kept path)."""
    if not keep:
        return [root]
    out: list[str] = []
    stack = [root]
    while stack:
        rel = stack.pop()
        listing = dirs.get(rel)
        if listing is None:
            continue
        prefix = rel + "/"
        for name in sorted(listing.files):
            path = prefix + name
            if not any(under(path, k) for k in keep):
                out.append(path)
        for name in sorted(listing.subdirs):
            path = prefix + name
            if any(under(path, k) for k in keep):
                continue  # inside a kept path: packed whole
            if any(under(k, path) for k in keep):
                stack.append(path)  # on the way down to a kept path
            else:
                out.append(path)
    return sorted(out)
