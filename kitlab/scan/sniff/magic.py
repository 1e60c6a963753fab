"""Formats told by a fixed signature: HDF5 (and Keras .h5 inside it), TFLite, CatBoost, XGBoost UBJ,
Core ML specs, and media files (images, audio) that make up dataset folders."""

from __future__ import annotations

import re

from kitlab.scan.types import Sniffed, human_size

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
KERAS_MARKERS = (b"keras_version", b"model_config")
HDF5_PROBE = 1024 * 1024

IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"BM", "bmp"))
AUDIO_MAGIC = ((b"fLaC", "flac"), (b"ID3", "mp3"), (b"OggS", "ogg"))


def sniff_hdf5(path: str, head: bytes, size: int) -> Sniffed | None:
    if not head.startswith(HDF5_MAGIC):
        return None
    with open(path, "rb") as fh:
        probe = fh.read(HDF5_PROBE)
    # Keras stores its version and model config as root attributes near the start of the file.
    if all(marker in probe for marker in KERAS_MARKERS):
        match = re.search(rb"keras_version.{0,64}?(\d+\.\d+\.\d+)", probe, re.S)
        version = match.group(1).decode() if match else ""
        return Sniffed(
            "model",
            "hdf5",
            f"Keras HDF5 model (keras_version/model_config attributes), keras {version or '?'}, "
            f"{human_size(size)}",
            framework="Keras",
        )
    if b"layer_names" in probe or b"weight_names" in probe:
        return Sniffed(
            "model",
            "hdf5",
            f"Keras HDF5 weights (layer_names attribute), {human_size(size)}",
            framework="Keras",
        )
    return Sniffed("data", "hdf5", f"HDF5 file without Keras model attributes, {human_size(size)}")


def sniff_signature(head: bytes, size: int, ext: str) -> Sniffed | None:
    if head[4:8] == b"TFL3":
        return Sniffed(
            "model",
            "tflite",
            f"TensorFlow Lite flatbuffer (TFL3), {human_size(size)}",
            framework="TensorFlow Lite",
        )
    if head[:4] == b"CBM1":
        return Sniffed(
            "model", "catboost", f"CatBoost binary model (CBM1), {human_size(size)}", framework="CatBoost"
        )
    if (
        head[:1] == b"{"
        and b"learner" in head[:32]
        and head[1:2] in (b"L", b"i", b"U", b"l", b"I", b"#", b"$")
    ):
        return Sniffed(
            "model", "xgboost-ubj", f"XGBoost UBJSON model, {human_size(size)}", framework="XGBoost"
        )
    if ext == ".mlmodel" and head[:1] == b"\x08":
        return Sniffed(
            "model", "coreml", f"Core ML model spec (protobuf), {human_size(size)}", framework="Core ML"
        )
    return sniff_media(head)


def sniff_media(head: bytes) -> Sniffed | None:
    for magic, name in IMAGE_MAGIC:
        if head.startswith(magic):
            return Sniffed("data", name, f"{name.upper()} image", details={"media": "image"})
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"WEBP"):
        media = "audio" if head[8:12] == b"WAVE" else "image"
        fmt = "wav" if media == "audio" else "webp"
        return Sniffed("data", fmt, f"{fmt.upper()} {media}", details={"media": media})
    for magic, name in AUDIO_MAGIC:
        if head.startswith(magic):
            return Sniffed("data", name, f"{name.upper()} audio", details={"media": "audio"})
    return None
