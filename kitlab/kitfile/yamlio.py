"""Plain YAML in and out, with ruamel.yaml, the library that writes YAML and reads workspace YAML with
YAML 1.2 rules (the Kitfile parser in ``yamlnodes.py`` reads only libyaml's events, for speed and
because kit's yaml.v3 is a port of libyaml; everything else uses these two functions).

``safe_load`` is for YAML files found in a workspace (``dvc.yaml``, MLflow's ``MLmodel``): it builds
plain Python values only, and checks the Kitfile's size and nesting limits before parsing, because the
scanner reads whatever a folder holds (docs/hardening.md).
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML, YAMLError

from kitlab.kitfile.yamlnodes import YamlLimitError, check_document_limits

__all__ = ["YAMLError", "safe_dump", "safe_load"]


def safe_load(text: str) -> Any:
    """The first document of ``text`` as plain values (dict, list, str, int, float, bool, None).

    Raises ``YAMLError`` for malformed YAML and for a document over the size or nesting limits."""
    try:
        check_document_limits(text)
        return YAML(typ="safe", pure=True).load(text)
    except YamlLimitError as exc:
        raise YAMLError(exc.message) from None
    except RecursionError as exc:  # block nesting the flow-depth pre-check cannot see
        raise YAMLError("the document nests too deeply") from exc


def safe_dump(data: Any, *, width: int = 110) -> str:
    """``data`` (plain values) as block-style YAML, keys in their given order, Unicode kept."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = width
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
