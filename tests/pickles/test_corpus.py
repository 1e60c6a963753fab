"""The pickle gate against its adversarial corpus (issue 13): every malicious file is proven malicious by
loading it in a throw-away subprocess, and kitlab flags every one as dangerous; the benign files from real
fitted objects are called safe (at most 1 % false positives)."""

from __future__ import annotations

import collections

import corpus
import pytest

from kitlab.scan.pickles import DANGEROUS_VERDICT, SAFE, PickleReport


def test_corpus_is_as_large_and_varied_as_promised(
    malicious: list[corpus.Sample], benign: list[corpus.Sample]
):
    assert len(malicious) >= 150
    assert len(benign) >= 300
    families = {s.family for s in malicious}
    assert len(families) >= 80, sorted(families)
    loaders = collections.Counter(s.loader for s in malicious)
    assert set(loaders) == {"pickle", "joblib", "pandas", "numpy", "torch-zip", "torch-legacy", "torch-tar"}
    libraries = {s.library for s in benign}
    assert {"scikit-learn", "boosting", "statsmodels", "pandas", "numpy", "scipy", "torch"} <= libraries


def test_every_malicious_file_runs_its_payload_when_loaded(malicious: list[corpus.Sample], corpus_root):
    work = corpus_root / "prove"
    work.mkdir(exist_ok=True)
    proven = corpus.prove(malicious, work)
    assert [name for name, hit in proven.items() if not hit] == []


def test_kitlab_flags_every_malicious_file_as_dangerous(
    malicious: list[corpus.Sample], reports: dict[str, PickleReport]
):
    missed = [
        (s.path.name, reports[str(s.path)].verdict, reports[str(s.path)].format)
        for s in malicious
        if reports[str(s.path)].verdict != DANGEROUS_VERDICT
    ]
    assert missed == []


def test_benign_files_are_safe_with_at_most_one_percent_false_positives(
    benign: list[corpus.Sample], reports: dict[str, PickleReport]
):
    flagged = {
        s.path.name: (
            reports[str(s.path)].verdict,
            reports[str(s.path)].named("unknown")[:3],
            reports[str(s.path)].errors[:1],
        )
        for s in benign
        if reports[str(s.path)].verdict != SAFE
    }
    assert len(flagged) <= len(benign) // 100, flagged
    assert not [name for name, (verdict, _, _) in flagged.items() if verdict == DANGEROUS_VERDICT]


def test_benign_formats_are_recognised(benign: list[corpus.Sample], reports: dict[str, PickleReport]):
    formats = collections.Counter(reports[str(s.path)].format.split("+")[0] for s in benign)
    assert {"pickle", "joblib", "npy-object", "npz", "torch-zip", "torch-legacy"} <= set(formats), formats


@pytest.mark.parametrize(
    "writer", ["p0", "p2", "p4", "p5", "joblib", "joblib-zlib", "pandas-gz", "pandas-zst"]
)
def test_every_writer_is_represented(benign: list[corpus.Sample], writer: str):
    assert any(s.family == writer for s in benign)


# What the oracles flag in real benign pickles that kitlab, reading the same opcodes, proves harmless:
# getattr(zoneinfo.ZoneInfo, "_unpickle") (how protocols < 4 spell a classmethod; kitlab reads it as the
# dotted name it spells, on the allowlist) and functools.partial (scikit-learn's HistGradientBoosting
# keeps partial(check_array, ...); building a partial runs nothing, calling one is never safe).
ORACLE_FALSE_POSITIVES = {
    "builtins.getattr",
    "__builtin__.getattr",
    "functools.partial",
    "_functools.partial",
}


def test_no_file_an_oracle_flags_is_called_safe(
    malicious: list[corpus.Sample], benign: list[corpus.Sample], reports: dict[str, PickleReport], corpus_root
):
    import oracles

    unexplained = []
    for name in ("picklescan", "modelscan", "fickling"):
        for label, samples in (("malicious", malicious), ("benign", benign)):
            found = oracles.ORACLES[name]([s.path for s in samples], (corpus_root / label).resolve())
            for sample in samples:
                hit = found.get(str(sample.path.resolve()))
                if not hit or reports[str(sample.path)].verdict != SAFE:
                    continue
                if label == "benign" and hit <= ORACLE_FALSE_POSITIVES:
                    continue
                unexplained.append((name, sample.path.name, sorted(hit)))
    assert unexplained == []
