"""TensorFlow checkpoints: ``<prefix>.index`` is a LevelDB-format table (tensorflow/core/lib/io/
table_format) ending in the table magic; the tensors live in ``<prefix>.data-NNNNN-of-NNNNN`` shards."""

from __future__ import annotations

from kitlab.scan.types import Sniffed, human_size

TABLE_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")


def sniff_tf_index(path: str, size: int) -> Sniffed | None:
    if size < 48:
        return None
    with open(path, "rb") as fh:
        fh.seek(size - 8)
        if fh.read(8) != TABLE_MAGIC:
            return None
    return Sniffed(
        "modelpart",
        "tf-checkpoint-index",
        f"TensorFlow checkpoint index (table magic), {human_size(size)}",
        framework="TensorFlow",
        part_type="index",
    )
