"""Columnar and array data: Parquet and Arrow/Feather (schema from the footer via pyarrow when it is
installed), NumPy ``.npy`` (the header dict)."""

from __future__ import annotations

import ast

from kitlab.scan.types import Sniffed, human_size


def npy_header(head: bytes) -> str:
    """``shape dtype`` from an .npy header, or "" when it is not one."""
    if head[:6] != b"\x93NUMPY" or len(head) < 10:
        return ""
    major = head[6]
    start, width = (
        (10, int.from_bytes(head[8:10], "little"))
        if major == 1
        else (12, int.from_bytes(head[8:12], "little"))
    )
    try:
        meta = ast.literal_eval(head[start : start + width].decode("latin-1"))
        return f"shape {tuple(meta['shape'])} {meta['descr']}"
    except (ValueError, SyntaxError, KeyError, TypeError):
        return ""


def sniff_npy(head: bytes, size: int) -> Sniffed | None:
    header = npy_header(head)
    if not header:
        return None
    return Sniffed("data", "npy", f"NumPy array, {header}, {human_size(size)}", framework="NumPy")


def _columns(names: list[str]) -> str:
    shown = ", ".join(names[:8])
    return shown + (f", … ({len(names)} columns)" if len(names) > 8 else "")


def sniff_parquet(path: str, size: int) -> Sniffed:
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        names = list(meta.schema.names)
        summary = (
            f"Parquet, {len(names)} columns ({_columns(names)}), {meta.num_rows} rows, {human_size(size)}"
        )
        return Sniffed("data", "parquet", summary, details={"columns": names, "rows": meta.num_rows})
    except ImportError:
        return Sniffed("data", "parquet", f"Parquet (PAR1 magic), {human_size(size)}; schema needs pyarrow")
    except Exception:
        return Sniffed(
            "data", "parquet", f"Parquet (PAR1 magic) with an unreadable footer, {human_size(size)}"
        )


def sniff_arrow(path: str, size: int) -> Sniffed:
    try:
        import pyarrow as pa

        with pa.memory_map(path) as source:
            reader = pa.ipc.open_file(source)
            names = list(reader.schema.names)
            batches = reader.num_record_batches
        summary = (
            f"Arrow IPC / Feather v2, {len(names)} columns ({_columns(names)}), {batches} record batches"
        )
        return Sniffed("data", "arrow", summary, details={"columns": names})
    except ImportError:
        return Sniffed("data", "arrow", f"Arrow IPC file (ARROW1 magic), {human_size(size)}")
    except Exception:
        return Sniffed(
            "data", "arrow", f"Arrow IPC file (ARROW1 magic), unreadable footer, {human_size(size)}"
        )
