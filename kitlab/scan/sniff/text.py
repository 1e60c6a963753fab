"""Text formats recognised from the first bytes: CSV/TSV (delimiter, columns, approximate rows), JSON
records, JSON Lines, and the text model formats LightGBM, PMML and XGBoost JSON."""

from __future__ import annotations

import csv
import json
import re

from kitlab.scan.types import Sniffed, human_size

TABULAR_EXTS = {".csv", ".tsv", ".txt", ".dat", ".data", ".bin", ".tab", ".psv", ""}
TAIL_BYTES = 64 * 1024
BIG_JSON = 1_000_000
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def decode_text(head: bytes) -> str | None:
    if b"\x00" in head[:4096]:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character.
        if exc.start < len(head) - 4:
            return None
        return head[: exc.start].decode("utf-8")


def _complete_lines(text: str, truncated: bool) -> list[str]:
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]
    return [ln for ln in lines if ln.strip()]


def _approx_rows(lines: list[str], sample_bytes: int, size: int, truncated: bool, path: str = "") -> str:
    if not truncated:
        return str(len(lines))
    lines_seen, bytes_seen = len(lines), sample_bytes
    if path:
        # Early rows are often shorter (small ids); the file's tail balances the estimate.
        with open(path, "rb") as fh:
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read(TAIL_BYTES)
        lines_seen += max(0, tail.count(b"\n") - 1)
        bytes_seen += len(tail) - (tail.find(b"\n") + 1)
    return f"~{int(size / (bytes_seen / max(1, lines_seen))):,}"


def sniff_model_text(text: str, path: str, size: int) -> Sniffed | None:
    if text.startswith("tree\nversion="):
        version = text.split("\n", 2)[1].partition("=")[2]
        return Sniffed(
            "model",
            "lightgbm-text",
            f"LightGBM text model ({version}), {human_size(size)}",
            framework="LightGBM",
        )
    start = text[:4096]
    if "<PMML" in start:
        match = re.search(r'<PMML[^>]*version="([^"]+)"', start)
        version = match.group(1) if match else ""
        model = re.search(r"<(\w+Model|MiningModel)\b", text)
        kind = model.group(1) if model else "model"
        return Sniffed("model", "pmml", f"PMML {version} document ({kind})", framework="PMML")
    if start.lstrip().startswith("{") and '"learner"' in start[:200] and '"gradient_booster"' in text:
        with open(path, "rb") as fh:
            fh.seek(max(0, size - 200))
            tail = fh.read().decode("utf-8", "replace")
        match = re.search(r'"version"\s*:\s*\[(\d+),\s*(\d+),\s*(\d+)\]', tail)
        version = ".".join(match.groups()) if match else ""
        booster = re.search(r'"name"\s*:\s*"(gbtree|gblinear|dart)"', text)
        summary = f"XGBoost JSON model ({booster.group(1) if booster else 'booster'})"
        return Sniffed(
            "model",
            "xgboost-json",
            summary + (f", saved by XGBoost {version}" if version else ""),
            framework="XGBoost",
        )
    return None


def sniff_json(text: str, size: int, truncated: bool) -> Sniffed | None:
    stripped = text.lstrip()
    if stripped.startswith("["):
        if not truncated:
            try:
                records = json.loads(text)
            except ValueError:
                return None
            if records and all(isinstance(r, dict) for r in records[:50]):
                keys = ", ".join(list(records[0])[:8])
                return Sniffed("data", "json", f"JSON array of {len(records)} records (keys: {keys})")
            return Sniffed("data", "json", f"JSON array of {len(records)} values")
        if re.match(r"\[\s*\{", stripped):
            return Sniffed("data", "json", f"JSON array of records, {human_size(size)}")
        return None
    if stripped.startswith("{"):
        lines = _complete_lines(text, truncated)
        parsed = []
        for line in lines[:20]:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                break
        if (
            len(parsed) >= 2
            and len(parsed) == min(20, len(lines))
            and all(isinstance(p, dict) for p in parsed)
        ):
            keys = ", ".join(list(parsed[0])[:8])
            rows = _approx_rows(lines, len(text.encode()), size, truncated)
            return Sniffed("data", "jsonl", f"JSON Lines, {rows} records (keys: {keys})")
        if not truncated:
            try:
                value = json.loads(text)
            except ValueError:
                return None
            keys = ", ".join(list(value)[:6]) if isinstance(value, dict) else ""
            return Sniffed("config", "json", f"JSON object (keys: {keys})", details={"keys": keys})
        if size > BIG_JSON:
            # Annotation files (COCO and the like) are single big objects: data, not configuration.
            return Sniffed("data", "json", f"JSON document, {human_size(size)}")
        return Sniffed("config", "json", f"JSON object, {human_size(size)}")
    return None


def sniff_table(text: str, size: int, truncated: bool, path: str = "") -> Sniffed | None:
    lines = _complete_lines(text, truncated)
    if len(lines) < 2:
        return None
    sample = "\n".join(lines[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        return None
    rows = list(csv.reader(lines[:50], dialect))
    width = len(rows[0])
    if width < 2 or any(len(r) != width for r in rows[1:]):
        return None
    try:
        has_header = csv.Sniffer().has_header(sample)
    except csv.Error:
        has_header = False
    columns = rows[0] if has_header else [f"column {i + 1}" for i in range(width)]
    body = lines[1:] if has_header else lines
    count = _approx_rows(body, len("\n".join(body).encode()) + 1, size, truncated, path)
    name = DELIMITER_NAMES.get(dialect.delimiter, repr(dialect.delimiter))
    fmt = "tsv" if dialect.delimiter == "\t" else "csv"
    shown = ", ".join(columns[:8]) + (" …" if width > 8 else "")
    summary = f"{fmt.upper()} ({name}-delimited), {width} columns ({shown}), {count} rows"
    return Sniffed("data", fmt, summary, details={"columns": columns, "delimiter": dialect.delimiter})
