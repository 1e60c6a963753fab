"""The Kitfile JSON Schema: the one description of which keys exist and what type each one has.

The form in JupyterLab renders this schema (draft-07, as rjsf expects), and the strict YAML parser, the
config-JSON writer, the YAML dumper and the dict converters all derive their key sets, key order and
expected types from it, so they cannot disagree. Property order is kit's Go struct order, which is also
the order of keys in the config JSON and in YAML kit writes.

Keys use kit's YAML/JSON names (``manifestVersion``, ``remotePath``); the model's Python attribute for a
key is its snake_case form (see ``attr_name``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Literal

from kitlab.kitfile.spdx import license_ids

__all__ = [
    "FieldSpec",
    "attr_name",
    "form_suggestions",
    "kitfile_json_schema",
    "object_fields",
    "ui_schema",
]

_LICENSE_HELP = "An SPDX identifier or expression, e.g. Apache-2.0, MIT, CC-BY-4.0, or Apache-2.0 OR MIT."
_PATH_HELP = "Relative to the folder that is packed; a file or a folder."


def _string(title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "description": description, **extra}


def _path(what: str) -> dict[str, Any]:
    return _string("Path", f"{what} {_PATH_HELP}")


def _license(what: str) -> dict[str, Any]:
    return _string("License", f"License of {what}. {_LICENSE_HELP}")


def _parameters(what: str) -> dict[str, Any]:
    # No "type": any YAML value kit can store as JSON (map, list, string, number, bool).
    return {
        "title": "Parameters",
        "description": f"Free-form settings for {what} (e.g. hyperparameters), any JSON-compatible value.",
    }


def _object(title: str, description: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "title": title,
        "description": description,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def _list(title: str, description: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "title": title, "description": description, "items": item}


_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://kitlab.dev/schemas/kitfile.json",
    **_object(
        "Kitfile",
        "Describes what goes into a KitOps ModelKit: the model, its code, datasets and docs.",
        {
            "manifestVersion": _string(
                "Manifest version", "Version of the Kitfile format; kit expects 1.0.0.", default="1.0.0"
            ),
            "package": _object(
                "Package",
                "General information about the ModelKit.",
                {
                    "name": _string("Name", "Name of the project; shown by `kit list`."),
                    "version": _string("Version", "Version of the project, e.g. 1.2.3."),
                    "description": _string("Description", "What the project does."),
                    "license": _license("the whole package"),
                    "authors": _list(
                        "Authors",
                        "People or organisations behind the project; the first is shown as maintainer.",
                        {"type": "string", "title": "Author"},
                    ),
                },
            ),
            "model": _object(
                "Model",
                "The trained model: its weights file or folder and metadata.",
                {
                    "name": _string("Name", "Name of the model."),
                    "path": _string(
                        "Path",
                        f"Model file or folder. {_PATH_HELP} May also be another ModelKit "
                        "(e.g. registry.example.com/org/base:v1) to build on.",
                    ),
                    "license": _license("the model"),
                    "framework": _string("Framework", "ML framework, e.g. PyTorch, scikit-learn."),
                    "format": _string("Format", "File format of the weights, e.g. safetensors, onnx, gguf."),
                    "version": _string("Version", "Version of the model."),
                    "description": _string("Description", "What the model does."),
                    "parts": _list(
                        "Parts",
                        "Further files that belong to the model (adapters, tokenizer, config).",
                        _object(
                            "Part",
                            "A file or folder that belongs to the model.",
                            {
                                "name": _string("Name", "Identifier of the part."),
                                "path": _path("Part file or folder."),
                                "license": _license("this part"),
                                "type": _string(
                                    "Type",
                                    "Kind of part, e.g. lora-weights or tokenizer: letters, digits, "
                                    "'_', '.', '-'; at most 64 characters.",
                                    pattern=r"^\w[\w.-]*$",
                                    maxLength=64,
                                ),
                            },
                        ),
                    ),
                    "parameters": _parameters("the model"),
                },
            ),
            "code": _list(
                "Code",
                "Source code, notebooks and scripts.",
                _object(
                    "Code",
                    "A code file or folder.",
                    {
                        "path": _path("Code file or folder."),
                        "description": _string("Description", "What the code does."),
                        "license": _license("the code"),
                    },
                ),
            ),
            "datasets": _list(
                "Datasets",
                "Data used to train or evaluate the model.",
                _object(
                    "Dataset",
                    "A dataset file or folder.",
                    {
                        "name": _string("Name", "Name of the dataset."),
                        "path": _path("Dataset file or folder."),
                        "remotePath": _string(
                            "Remote path",
                            "Where the data lives instead of inside the ModelKit (s3://bucket/key or a "
                            "ModelKit reference). Needs a newer kit than 1.16.",
                        ),
                        "remoteHash": _string(
                            "Remote hash", "Hash of the remote data; required with an s3:// remote path."
                        ),
                        "description": _string("Description", "What the data contains."),
                        "license": _license("the dataset"),
                        "parameters": _parameters("the dataset"),
                    },
                ),
            ),
            "docs": _list(
                "Docs",
                "Documentation: README, model card, license texts.",
                _object(
                    "Document",
                    "A documentation file or folder.",
                    {
                        "path": _path("Documentation file or folder."),
                        "description": _string("Description", "What the document covers."),
                    },
                ),
            ),
            "prompts": _list(
                "Prompts",
                "Prompt files for LLMs. Needs kit 1.15 or newer.",
                _object(
                    "Prompt",
                    "A prompt file or folder.",
                    {
                        "name": _string("Name", "Name of the prompt."),
                        "path": _path("Prompt file or folder."),
                        "description": _string("Description", "What the prompt is for."),
                    },
                ),
            ),
            "mcpServers": _list(
                "MCP servers",
                "MCP servers packaged as .mcpb bundles. Needs kit 1.15 or newer.",
                _object(
                    "MCP server",
                    "One MCP server bundle.",
                    {
                        "name": _string("Name", "Unique name of the MCP server."),
                        "path": _string("Path", "The .mcpb bundle, relative to the folder that is packed."),
                        "description": _string("Description", "What the server provides."),
                    },
                    required=["name", "path"],
                ),
            ),
        },
    ),
}


def kitfile_json_schema() -> dict[str, Any]:
    """The Kitfile JSON Schema (draft-07); a fresh copy the caller may modify."""
    return copy.deepcopy(_SCHEMA)


# What the form suggests while typing (free text stays allowed: kit stores these as plain strings). The
# frameworks and formats are those the scanner writes into drafts, plus the other common ones.
FRAMEWORKS = (
    "PyTorch", "TensorFlow", "Keras", "JAX", "scikit-learn", "XGBoost", "LightGBM", "CatBoost",
    "transformers", "sentence-transformers", "diffusers", "PEFT", "llama.cpp", "ONNX", "TensorFlow Lite",
    "Core ML", "spaCy", "statsmodels", "Prophet", "MLflow", "PMML", "NumPy", "pandas",
)  # fmt: skip
FORMATS = (
    "safetensors", "gguf", "onnx", "pytorch", "pickle", "joblib", "keras", "h5", "savedmodel", "tflite",
    "coreml", "xgboost-ubj", "catboost", "pmml", "npz",
)  # fmt: skip


def _suggest(vocabulary: str) -> dict[str, Any]:
    """A text field that offers ``form_suggestions()[vocabulary]`` as the user types."""
    return {"ui:widget": "suggest", "ui:options": {"suggestions": vocabulary}}


def _path_hint(placeholder: str) -> dict[str, Any]:
    """The form's ``path`` widget: a text field with a Browse… button that picks a file or folder inside
    the folder being packed."""
    return {"ui:placeholder": placeholder, "ui:widget": "path"}


def form_suggestions() -> dict[str, list[str]]:
    """The vocabularies the ``suggest`` widgets of ``ui_schema()`` name, sent once with the schema."""
    return {"licenses": license_ids(), "frameworks": list(FRAMEWORKS), "formats": list(FORMATS)}


def ui_schema() -> dict[str, Any]:
    """Presentation hints for rjsf: field order, placeholders, help texts, multi-line widgets."""
    description = {"ui:widget": "textarea", "ui:options": {"rows": 2}}
    parameters = {
        "ui:help": 'JSON, e.g. {"epochs": 10, "lr": 0.001}. The YAML tab shows them as YAML.',
    }
    license_field = {"ui:placeholder": "Apache-2.0", **_suggest("licenses")}

    return {
        "ui:order": [
            "package",
            "model",
            "datasets",
            "code",
            "docs",
            "prompts",
            "mcpServers",
            "manifestVersion",
        ],
        "manifestVersion": {"ui:placeholder": "1.0.0", "ui:help": "Leave at 1.0.0."},
        "package": {
            "ui:order": ["name", "version", "description", "authors", "license"],
            "name": {"ui:placeholder": "my-model"},
            "version": {"ui:placeholder": "1.0.0"},
            "description": description,
            "license": license_field,
        },
        "model": {
            "ui:order": [
                "name",
                "path",
                "framework",
                "format",
                "version",
                "license",
                "description",
                "parts",
                "*",
            ],
            "path": _path_hint("models/model.safetensors"),
            "framework": {"ui:placeholder": "PyTorch", **_suggest("frameworks")},
            "format": {"ui:placeholder": "safetensors", **_suggest("formats")},
            "license": license_field,
            "description": description,
            "parameters": parameters,
            "parts": {
                "items": {
                    "ui:order": ["name", "path", "type", "license"],
                    "path": _path_hint("models/tokenizer.json"),
                    "type": {"ui:placeholder": "tokenizer"},
                    "license": license_field,
                }
            },
        },
        "datasets": {
            "items": {
                "ui:order": ["name", "path", "description", "license", "remotePath", "remoteHash", "*"],
                "path": _path_hint("data/train.csv"),
                "license": license_field,
                "description": description,
                "remotePath": {
                    "ui:placeholder": "s3://bucket/key",
                    "ui:help": "Optional; needs a newer kit.",
                },
                "parameters": parameters,
            }
        },
        "code": {
            "items": {
                "ui:order": ["path", "description", "license"],
                "path": _path_hint("src/"),
                "license": license_field,
                "description": description,
            }
        },
        "docs": {
            "items": {
                "ui:order": ["path", "description"],
                "path": _path_hint("README.md"),
                "description": description,
            }
        },
        "prompts": {
            "items": {
                "ui:order": ["name", "path", "description"],
                "path": _path_hint("system.prompt.md"),
            }
        },
        "mcpServers": {
            "items": {"ui:order": ["name", "path", "description"], "path": _path_hint("server.mcpb")}
        },
    }


# --------------------------------------------------------------------------------------------------
# Derived field tables (used by the parser, config writer, dumper and dict converters)

FieldKind = Literal["string", "string_list", "object", "object_list", "any"]


@dataclass(frozen=True)
class FieldSpec:
    key: str  # YAML/JSON key
    attr: str  # attribute of the model dataclass
    kind: FieldKind
    schema: dict[str, Any]  # the property's schema; for *_list kinds the item schema


def attr_name(key: str) -> str:
    """``remotePath`` → ``remote_path``: model attributes are the snake_case form of the YAML key."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _kind(prop: dict[str, Any]) -> tuple[FieldKind, dict[str, Any]]:
    match prop.get("type"):
        case "string":
            return "string", prop
        case "object":
            return "object", prop
        case "array" if prop["items"].get("type") == "string":
            return "string_list", prop["items"]
        case "array":
            return "object_list", prop["items"]
        case None:
            return "any", prop
    raise ValueError(f"unsupported schema property: {prop!r}")


def object_fields(object_schema: dict[str, Any]) -> list[FieldSpec]:
    """The fields of an object schema, in Go struct order."""
    fields = []
    for key, prop in object_schema["properties"].items():
        kind, sub = _kind(prop)
        fields.append(FieldSpec(key=key, attr=attr_name(key), kind=kind, schema=sub))
    return fields


def root_schema() -> dict[str, Any]:
    """The shared schema object (read-only use inside this package)."""
    return _SCHEMA
