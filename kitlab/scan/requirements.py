"""Pinned requirements: the distributions and versions behind the modules the notebooks import, taken
from the environment of the notebook's kernel (its interpreter, asked in a subprocess with a timeout),
falling back to the current interpreter when the kernel cannot be found or asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

QUERY_TIMEOUT = 15.0
# Import names whose distribution on PyPI is named otherwise, for modules the kernel does not have
# installed (installed ones are mapped by importlib.metadata.packages_distributions()).
DISTRIBUTION_OF = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "docx": "python-docx",
    "dotenv": "python-dotenv",
    "fitz": "PyMuPDF",
    "jose": "python-jose",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "MySQLdb": "mysqlclient",
    "PIL": "Pillow",
    "serial": "pyserial",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "Crypto": "pycryptodome",
}
# Runs inside the kernel's interpreter: maps each module to (distribution, version) with importlib.metadata.
_QUERY = """
import json, sys
from importlib import metadata
mods = json.loads(sys.argv[1])
dists = metadata.packages_distributions()
out = {}
for mod in mods:
    for dist in dists.get(mod, []):
        try:
            out.setdefault(mod, []).append([dist, metadata.version(dist)])
        except metadata.PackageNotFoundError:
            pass
print(json.dumps(out))
"""


def kernel_python(kernel_name: str) -> str | None:
    """The interpreter a kernelspec launches, when it is a Python kernel that exists."""
    if not kernel_name:
        return None
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except (ImportError, NoSuchKernel, OSError, ValueError):
        return None
    if spec.language.lower() != "python" or not spec.argv:
        return None
    exe = spec.argv[0]
    if exe in ("python", "python3", "{python}"):
        return sys.executable
    return exe if Path(exe).is_file() else None


def query_distributions(python: str, modules: list[str]) -> dict[str, list[list[str]]] | None:
    try:
        done = subprocess.run(
            [python, "-c", _QUERY, json.dumps(modules)],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def third_party(modules: set[str], local: set[str]) -> list[str]:
    stdlib = set(sys.stdlib_module_names)
    return sorted(m for m in modules if m and m not in stdlib and m not in local and not m.startswith("_"))


def pinned_requirements(modules: set[str], local: set[str], kernel_name: str) -> tuple[str, list[str]]:
    """``requirements.txt`` text and warnings. ``local`` are the workspace's own modules (not packages)."""
    wanted = third_party(modules, local)
    if not wanted:
        return "", []
    warnings: list[str] = []
    python = kernel_python(kernel_name)
    source = f"kernel {kernel_name!r} ({python})" if python else ""
    if kernel_name and python is None:
        warnings.append(
            f"kernel {kernel_name!r} was not found or is not a Python kernel; pinned versions come "
            f"from the server's interpreter ({sys.executable})"
        )
    found = query_distributions(python, wanted) if python else None
    if found is None:
        if python:
            warnings.append(f"could not query {python}; pinned versions come from the server's interpreter")
        found = query_distributions(sys.executable, wanted) or {}
        source = f"server interpreter ({sys.executable})"
    pins: dict[str, str] = {}
    missing: list[str] = []
    for module in wanted:
        dists = found.get(module) or []
        if not dists:
            missing.append(module)
        for dist, version in dists:
            pins[dist.lower()] = f"{dist}=={version}"
    lines = [f"# Pinned by kitlab from the modules the notebooks import; versions from {source}"]
    lines += [pins[k] for k in sorted(pins)]
    if missing:
        # Named as pip installs them: `import dotenv` is the distribution python-dotenv.
        named = [f"{DISTRIBUTION_OF[m]} (import {m})" if m in DISTRIBUTION_OF else m for m in missing]
        lines.append("# not installed there (add by hand): " + ", ".join(named))
        warnings.append("imported but not installed in the kernel's environment: " + ", ".join(named))
    return "\n".join(lines) + "\n", warnings
