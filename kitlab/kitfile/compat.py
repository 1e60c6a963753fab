"""Which kit version a Kitfile needs.

kit parses Kitfiles strictly, so a key an older kit does not know makes the whole Kitfile unreadable
for it (``kit pack`` fails, and so does anything reading the config of a kit packed with it). kitlab's
baseline is kit 1.7; these are the keys added since, with the first release that reads them:

* ``prompts`` (and ``prompts[].name``), ``mcpServers``: kit 1.15 (MCP bundles and prompt layers
  arrived in 1.15.0; prompt names are in the same struct version — uncertain whether they shipped
  together).
* ``datasets[].remotePath`` / ``remoteHash``: present in kitops' main branch after 1.16.0 with no
  release found that contains them, so "newer than 1.16".

The config JSON is read leniently, so older kits can still *list/inspect* a ModelKit with these
fields; they just drop them.
"""

from __future__ import annotations

from dataclasses import dataclass

from kitlab.kitfile.model import Kitfile
from kitlab.kitfile.problems import Problem

__all__ = ["BASELINE_KIT", "KitRequirement", "compatibility_warnings", "kit_requirements"]

BASELINE_KIT = "1.7"


@dataclass(frozen=True)
class KitRequirement:
    path: str  # Kitfile field path that needs the newer kit
    key: str  # the key as written
    min_version: str  # first kit release that reads it, or e.g. ">1.16" when unreleased
    oldest_failing: str  # range of kit versions (from the baseline) that cannot read it

    def message(self) -> str:
        if self.min_version.startswith(">"):
            needs = f"a kit newer than {self.min_version[1:]}"
        else:
            needs = f"kit ≥ {self.min_version}"
        return f"`{self.key}` needs {needs}; kit {self.oldest_failing} cannot read this Kitfile"


def kit_requirements(kf: Kitfile) -> list[KitRequirement]:
    """Every field in ``kf`` that kit 1.7 cannot read, with the kit version that can."""
    out: list[KitRequirement] = []
    if kf.prompts:
        out.append(KitRequirement("prompts", "prompts", "1.15", f"{BASELINE_KIT}–1.14"))
        for index, prompt in enumerate(kf.prompts):
            if prompt.name:
                out.append(
                    KitRequirement(f"prompts[{index}].name", "prompts.name", "1.15", f"{BASELINE_KIT}–1.14")
                )
    if kf.mcp_servers:
        out.append(KitRequirement("mcpServers", "mcpServers", "1.15", f"{BASELINE_KIT}–1.14"))
    for index, dataset in enumerate(kf.datasets):
        for attr, key in (("remote_path", "remotePath"), ("remote_hash", "remoteHash")):
            if getattr(dataset, attr):
                out.append(KitRequirement(f"datasets[{index}].{key}", key, ">1.16", f"{BASELINE_KIT}–1.16"))
    return out


def compatibility_warnings(kf: Kitfile) -> list[Problem]:
    """One warning per field that older kits cannot read."""
    return [Problem(path=req.path, message=req.message(), severity="warning") for req in kit_requirements(kf)]
