"""The documentation stays true to the code: the CLI reference is generated from the CLI, links resolve,
every admin setting and API endpoint is documented, the wheel carries the prebuilt frontend, and the
layering rule docs/architecture.md states holds."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import kitlab
from kitlab.kitfile.yamlio import safe_load
from kitlab.server.settings import Kitlab
from tests.support.layering import server_modules_loaded_by

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOC_FILES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load_cli_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prose(text: str) -> str:
    """Markdown without fenced code blocks: links and headings inside them are examples, not links."""
    return FENCE.sub("", text)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: link syntax and code marks dropped, punctuation removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(prose(path.read_text(encoding="utf-8"))):
        slug = github_anchor(heading)
        n, unique = 0, slug
        while unique in found:  # GitHub numbers repeated headings: x, x-1, x-2, …
            n += 1
            unique = f"{slug}-{n}"
        found.add(unique)
    return found


def relative_links(path: Path) -> list[str]:
    text = CODE_SPAN.sub("", prose(path.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I)]


# ------------------------------------------------------------------------------------- CLI reference
def test_cli_reference_is_generated_from_the_current_cli():
    expected = load_cli_docs().generate()
    actual = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is out of date: run python scripts/cli_docs.py"


def test_cli_reference_covers_every_verb_with_its_help():
    from kitlab.cli import build_parser

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    verbs = next(a for a in parser._actions if a.dest == "command").choices
    assert {"pack", "push", "pull", "unpack", "list"} <= set(verbs)
    for name in verbs:
        assert f"### `kitlab {name}`" in text
        assert f"usage: kitlab {name} " in text


def test_cli_docs_check_mode_reports_a_stale_file(tmp_path, monkeypatch):
    cli_docs = load_cli_docs()
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(cli_docs, "CLI_DOC", stale)
    monkeypatch.setattr(cli_docs, "REPO_ROOT", tmp_path)
    assert cli_docs.main(["--check"]) == 1
    assert cli_docs.main([]) == 0
    assert cli_docs.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == cli_docs.generate()


# --------------------------------------------------------------------------------------------- links
@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files_and_headings(doc: Path):
    links = relative_links(doc)
    broken = []
    for link in links:
        target, _, fragment = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        if not path.exists():
            broken.append(f"{link}: {path} does not exist")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            broken.append(f"{link}: no heading #{fragment} in {path.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_the_docs_set_is_complete_and_linked_from_the_readme():
    readme = relative_links(ROOT / "README.md")
    for name in ("user-guide.md", "cli.md", "api.md", "architecture.md", "troubleshooting.md"):
        assert (DOCS / name).is_file()
        assert f"docs/{name}" in readme
    assert "CHANGELOG.md" in readme


def test_link_checker_sees_broken_links_and_anchors(tmp_path):
    (tmp_path / "other.md").write_text("# Real heading\n\n## `kitlab pack`\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[a](other.md#real-heading) [b](other.md#kitlab-pack) [c](missing.md) [d](https://x.org/y)\n"
        "`[e](not-a-link.md)`\n```\n[f](inside-a-fence.md)\n```\n",
        encoding="utf-8",
    )
    assert relative_links(doc) == ["other.md#real-heading", "other.md#kitlab-pack", "missing.md"]
    assert anchors(tmp_path / "other.md") == {"real-heading", "kitlab-pack"}


# --------------------------------------------------------------------- documents the code and tools cite
CITING_DIRS = ("kitlab", "src", "tests", "tools", "scripts", "benchmarks", "ui-tests")
CITING_FILES = ("Makefile", "pyproject.toml", ".yarnrc.yml", "package.json")
CITED_MD = re.compile(r"(?<![\w./:-])((?:\.\./)*[\w][\w./-]*\.md)\b")
HASH_COMMENT = re.compile(r"(?:^|\s)#[^\n]*")
SLASH_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def python_comments(text: str) -> str:
    """A Python file's comments and docstrings: where it cites documents (string literals in tests name
    fixture files, which need not exist)."""
    import ast
    import io
    import tokenize

    parts = [
        t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            parts.append(ast.get_docstring(node) or "")
    return "\n".join(parts)


def cited_documents(path: Path, text: str) -> list[str]:
    """The ``*.md`` files a source file's comments (a document's prose) cite."""
    if path.suffix == ".py":
        text = python_comments(text)
    elif path.suffix in (".ts", ".tsx", ".js"):
        text = "\n".join(SLASH_COMMENT.findall(text))
    elif path.suffix == ".md":
        text = prose(text)
    elif path.suffix != ".json":
        text = "\n".join(HASH_COMMENT.findall(text))
    return CITED_MD.findall(text)


def missing_citations(root: Path, files: list[Path], known: set[str]) -> list[str]:
    """Citations that resolve to no file: not relative to the repository, the citing file or docs/, and
    (for a bare name) no file of that name anywhere in the repository."""
    missing = []
    for path in files:
        for cited in cited_documents(path, path.read_text(encoding="utf-8", errors="replace")):
            candidates = (root / cited, path.parent / cited, root / "docs" / cited)
            if any(c.exists() for c in candidates) or ("/" not in cited and cited in known):
                continue
            missing.append(f"{path.relative_to(root)} cites {cited}, which is not in the repository")
    return missing


# Documents cited by work in progress and not written yet (empty: every cited document exists). An
# entry must go once its document exists (the test says so), so the list cannot hide one for long.
PENDING_DOCUMENTS: set[str] = set()


def test_code_cites_only_documents_in_the_repository():
    listed = subprocess.run(
        ["git", "ls-files", "--cached", *CITING_DIRS, *CITING_FILES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [ROOT / name for name in listed if (ROOT / name).is_file() and "node_modules" not in name]
    suffixes = (".py", ".ts", ".tsx", ".js", ".sh", ".md", ".yml", ".yaml", ".toml", ".go")
    files = [p for p in files if p.suffix in suffixes or p.name in CITING_FILES]
    assert len(files) > 100
    known = {Path(name).name for name in listed if name.endswith(".md")} | {p.name for p in DOC_FILES}
    missing = missing_citations(ROOT, files, known)
    assert [m for m in missing if m.rsplit(" cites ", 1)[1].split(",")[0] not in PENDING_DOCUMENTS] == []
    assert not [d for d in PENDING_DOCUMENTS if (ROOT / d).exists()], (
        "written now: remove from PENDING_DOCUMENTS"
    )


def test_citation_checker_sees_a_missing_document(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kit-format.md").write_text("# Kit\n", encoding="utf-8")
    code = tmp_path / "mod.py"
    code.write_text(
        '"""Follows docs/kit-format.md and kitops-reference.md §1.2."""\n'
        "# see ../shared/registry-and-limits.md\n"
        'FIXTURE = "notes.md"  # a file name in a test is not a citation\n',
        encoding="utf-8",
    )
    script = tmp_path / "build.sh"
    script.write_text("# recipe: toolchain.md pitfall 7, docs/kit-format.md\necho hi.md\n", encoding="utf-8")
    assert missing_citations(tmp_path, [code, script], set()) == [
        "mod.py cites ../shared/registry-and-limits.md, which is not in the repository",
        "mod.py cites kitops-reference.md, which is not in the repository",
        "build.sh cites toolchain.md, which is not in the repository",
    ]


# ------------------------------------------------------------------------------------ what must be in
def documentation_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOC_FILES)


def test_every_admin_setting_is_documented():
    names = Kitlab.class_trait_names(config=True)
    assert "kitops_home" in names
    text = documentation_text()
    missing = [n for n in names if not re.search(rf"\b{re.escape(n)}\b", text)]
    assert not missing, f"settings not documented: {missing}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing_in_table = [n for n in names if f"| `{n}` |" not in readme]
    assert not missing_in_table, f"settings missing from the README's admin table: {missing_in_table}"


def test_every_api_endpoint_is_summarised_in_api_md():
    spec = safe_load((ROOT / "kitlab" / "server" / "openapi.yaml").read_text(encoding="utf-8"))
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*([A-Z]+)\s*\|\s*`(/[^`?]*)[`?]", api, re.M))
    in_spec = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert {path for _, path in in_spec} <= {path for _, path in documented}
    assert documented == in_spec, (
        f"in openapi.yaml but not api.md: {sorted(in_spec - documented)}; "
        f"in api.md but not openapi.yaml: {sorted(documented - in_spec)}"
    )


def test_readme_keeps_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make lab" in readme
    assert "make test" in readme
    assert "`.ci/run` runs exactly `make test`" in readme
    assert "exec make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------- wheel
def test_wheel_carries_the_prebuilt_frontend_without_node(tmp_path):
    """The README's "no Node needed" promise: the wheel is built from the committed build outputs (the
    build hook's skip-if-exists), with no Node or jlpm on PATH, and holds the whole lab extension."""
    empty_bin = tmp_path / "no-node-bin"
    empty_bin.mkdir()
    out = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))",
            str(out),
        ],
        cwd=ROOT,
        env={"PATH": str(empty_bin), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    wheel = out / build.stdout.strip().splitlines()[-1]
    version = kitlab.__version__
    data = f"kitlab-{version}.data/data"
    ext = f"{data}/share/jupyter/labextensions/kitlab"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        ext_package = json.loads(zf.read(f"{ext}/package.json"))
        server_config = json.loads(zf.read(f"{data}/etc/jupyter/jupyter_server_config.d/kitlab.json"))
        entry_points = zf.read(f"kitlab-{version}.dist-info/entry_points.txt").decode()
    built = ROOT / "kitlab" / "labextension"
    static = {
        f"{ext}/{p.relative_to(built).as_posix()}" for p in (built / "static").rglob("*") if p.is_file()
    }
    assert static <= names
    assert any(re.fullmatch(rf"{re.escape(ext)}/static/remoteEntry\.[0-9a-f]+\.js", n) for n in names)
    assert {f"{ext}/install.json", f"{ext}/schemas/kitlab/plugin.json", f"{ext}/static/style.js"} <= names
    assert ext_package["version"] == version
    assert server_config == {"ServerApp": {"jpserver_extensions": {"kitlab": True}}}
    assert re.search(r"^kitlab = kitlab\.cli:main$", entry_points, re.M)
    assert {
        "kitlab/server/openapi.yaml",
        "kitlab/server/events/job.yaml",
        "kitlab/kitfile/data/spdx-licenses.txt",
    } <= names
    strays = [n for n in names if not n.startswith(("kitlab/", f"kitlab-{version}."))]
    assert not strays, f"files outside the package in the wheel: {strays[:5]}"


# ------------------------------------------------------------------------------------- layering rule
def test_library_packages_and_cli_never_import_the_server():
    code = (
        "import importlib, pkgutil\n"
        "for name in ('kitlab.kitfile', 'kitlab.modelkit', 'kitlab.scan', 'kitlab.loaders',\n"
        "             'kitlab.trust'):\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "import kitlab.cli\n"
    )
    assert server_modules_loaded_by(code) == []
