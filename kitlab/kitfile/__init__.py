"""The Kitfile: strict parsing, validation, JSON Schema, and kit-identical JSON/YAML output.

Pure library (no server imports). docs/kit-format.md ("Config blob", "The Kitfile") has the rules it follows.
"""

from __future__ import annotations

from kitlab.kitfile.compat import KitRequirement, compatibility_warnings, kit_requirements
from kitlab.kitfile.config import from_config_json, kitfile_struct, to_config_json
from kitlab.kitfile.convert import kitfile_from_dict, kitfile_to_dict
from kitlab.kitfile.dump import dump_kitfile_yaml, render_kitfile, save_kitfile
from kitlab.kitfile.gojson import GoJSONError, GoStruct, encode_ordered, go_float, go_json_dumps, go_quote
from kitlab.kitfile.goyaml import FlowList, go_yaml_dumps
from kitlab.kitfile.model import (
    CodeEntry,
    DatasetEntry,
    DocsEntry,
    Kitfile,
    LayerInfo,
    McpServer,
    Model,
    ModelPart,
    Package,
    PromptEntry,
)
from kitlab.kitfile.parse import KITFILE_NAMES, find_kitfile, load_kitfile, load_kitfile_file, locate_problems
from kitlab.kitfile.pathtypes import PathType, is_modelkit_reference, path_type
from kitlab.kitfile.problems import KitfileError, Problem
from kitlab.kitfile.schema import form_suggestions, kitfile_json_schema, ui_schema
from kitlab.kitfile.validate import go_clean, layer_paths, validate_kitfile
from kitlab.kitfile.yamlnodes import MAX_DEPTH, MAX_DOCUMENT_BYTES, YamlLimitError, check_document_limits

__all__ = [
    "KITFILE_NAMES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "CodeEntry",
    "DatasetEntry",
    "DocsEntry",
    "FlowList",
    "GoJSONError",
    "GoStruct",
    "KitRequirement",
    "Kitfile",
    "KitfileError",
    "LayerInfo",
    "McpServer",
    "Model",
    "ModelPart",
    "Package",
    "PathType",
    "Problem",
    "PromptEntry",
    "YamlLimitError",
    "check_document_limits",
    "compatibility_warnings",
    "dump_kitfile_yaml",
    "encode_ordered",
    "find_kitfile",
    "form_suggestions",
    "from_config_json",
    "go_clean",
    "go_float",
    "go_json_dumps",
    "go_quote",
    "go_yaml_dumps",
    "is_modelkit_reference",
    "kit_requirements",
    "kitfile_from_dict",
    "kitfile_json_schema",
    "kitfile_struct",
    "kitfile_to_dict",
    "layer_paths",
    "load_kitfile",
    "load_kitfile_file",
    "locate_problems",
    "path_type",
    "render_kitfile",
    "save_kitfile",
    "to_config_json",
    "ui_schema",
    "validate_kitfile",
]
