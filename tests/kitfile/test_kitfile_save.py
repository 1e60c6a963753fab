"""Writing Kitfiles: kit's YAML shape, dict converters, comment-preserving save, config JSON rules."""

from __future__ import annotations

import os
import stat

import pytest

from kitlab.kitfile import (
    DocsEntry,
    Kitfile,
    KitfileError,
    LayerInfo,
    Model,
    Package,
    dump_kitfile_yaml,
    from_config_json,
    kitfile_from_dict,
    kitfile_to_dict,
    load_kitfile,
    save_kitfile,
    to_config_json,
)

ORIGINAL = """\
# Kitfile for the demo project
manifestVersion: 1.0.0   # keep this
package:
  name: demo
  version: 1.10        # a version that looks like a number
  authors: [Ada, Grace]
model:
  path: models/model.joblib
  framework: scikit-learn
  parameters:
    # tuned by hand
    n_estimators: 100
datasets:
  - name: train        # the training split
    path: data/train.csv
  - name: test
    path: data/test.csv
docs:
  - path: README.md
"""


def test_dump_shape_matches_kit():
    kf = Kitfile(
        manifest_version="1.0.0",
        package=Package(name="demo", authors=["Ada", "yes"]),
        model=Model(path="m.bin", parameters={"b": 1, "a": [1, {"x": "z"}]}),
        docs=[DocsEntry(path="", description="no path", layer=LayerInfo("sha256:aa", "sha256:aa"))],
    )
    assert dump_kitfile_yaml(kf) == (
        "manifestVersion: 1.0.0\n"
        "package:\n"
        "  name: demo\n"
        '  authors: [Ada, "yes"]\n'
        "model:\n"
        "  path: m.bin\n"
        "  parameters:\n"
        "    a:\n"
        "      - 1\n"
        "      - x: z\n"
        "    b: 1\n"
        "docs:\n"
        '  - path: ""\n'
        "    description: no path\n"
    )


def test_config_json_rules():
    kf = Kitfile(docs=[DocsEntry(layer=LayerInfo(digest="sha256:ab", diff_id="sha256:cd"))])
    assert to_config_json(kf) == (
        b'{"manifestVersion":"","package":{},"docs":[{"path":"","digest":"sha256:ab","diffId":"sha256:cd"}]}'
    )
    assert to_config_json(Kitfile(model=Model(parameters=0))) == (
        b'{"manifestVersion":"","package":{},"model":{"parameters":0}}'
    )
    with pytest.raises(KitfileError):
        to_config_json(Kitfile(model=Model(parameters={"x": float("nan")})))


def test_from_config_json_is_lenient_like_go():
    kf = from_config_json(
        b'{"ManifestVersion":"1.0.0","future":{"x":1},"model":{"path":"m","digest":"sha256:1","parameters":{"n":3}},'
        b'"code":[{"path":"c","diffId":"sha256:2"}]}'
    )
    assert kf.manifest_version == "1.0.0"
    assert kf.model is not None
    assert kf.model.layer == LayerInfo("sha256:1", "")
    assert kf.model.parameters == {"n": 3}
    assert kf.code[0].layer == LayerInfo("", "sha256:2")
    with pytest.raises(KitfileError):
        from_config_json(b'{"package":{"name":5}}')
    with pytest.raises(KitfileError):
        from_config_json(b"not json")


def test_dict_round_trip_drops_empty_values():
    kf = load_kitfile(ORIGINAL)
    data = kitfile_to_dict(kf)
    assert data["package"] == {"name": "demo", "version": "1.10", "authors": ["Ada", "Grace"]}
    assert "digest" not in str(data)
    assert kitfile_from_dict(data) == kf
    assert kitfile_to_dict(load_kitfile("model: {}\n")) == {"model": {}}


def test_kitfile_from_dict_reports_every_problem():
    with pytest.raises(KitfileError) as info:
        kitfile_from_dict(
            {
                "pakage": {},
                "model": {"name": 3, "parameters": {"x": float("inf")}},
                "code": "src",
                "docs": [{"pth": "a"}],
            }
        )
    paths = [p.path for p in info.value.problems]
    assert paths == ["pakage", "model.name", "model.parameters.x", "code", "docs[0].pth"]
    assert info.value.problems[0].message == "unknown field; did you mean package?"


def test_save_keeps_comments_order_and_untouched_literals(tmp_path):
    path = tmp_path / "Kitfile"
    path.write_text(ORIGINAL)
    os.chmod(path, 0o640)
    data = kitfile_to_dict(load_kitfile(ORIGINAL))
    data["package"]["description"] = "A demo model"
    data["datasets"][1]["path"] = "data/holdout.csv"
    del data["docs"]
    data["code"] = [{"path": "train.py"}]
    text = save_kitfile(path, data, original_text=ORIGINAL)
    assert path.read_text() == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    for kept in (
        "# Kitfile for the demo project",
        "manifestVersion: 1.0.0   # keep this",
        "version: 1.10        # a version that looks like a number",
        "# tuned by hand",
        "- name: train        # the training split",
        "authors: [Ada, Grace]",
    ):
        assert kept in text
    assert "data/holdout.csv" in text
    assert "README.md" not in text
    lines = text.splitlines()
    assert lines.index("package:") < lines.index("model:") < lines.index("datasets:") < lines.index("code:")
    assert kitfile_to_dict(load_kitfile(text)) == kitfile_to_dict(kitfile_from_dict(data))
    assert not [p for p in tmp_path.iterdir() if p.name != "Kitfile"]  # no temp files left behind


def test_save_changed_version_is_quoted_so_kit_reads_the_same_text(tmp_path):
    path = tmp_path / "Kitfile"
    data = kitfile_to_dict(load_kitfile(ORIGINAL))
    data["package"]["version"] = "2.0"
    text = save_kitfile(path, data, original_text=ORIGINAL)
    assert load_kitfile(text).package.version == "2.0"


def test_save_without_original_uses_kit_layout(tmp_path):
    path = tmp_path / "Kitfile"
    data = {"manifestVersion": "1.0.0", "package": {"name": "x"}, "code": [{"path": "."}]}
    text = save_kitfile(path, data)
    assert text == "manifestVersion: 1.0.0\npackage:\n  name: x\ncode:\n  - path: .\n"
    assert path.read_text() == text


def test_save_falls_back_to_kit_layout_when_original_cannot_be_edited(tmp_path):
    path = tmp_path / "Kitfile"
    original = "package:\n  name: a\n---\nsecond: doc\n"
    text = save_kitfile(path, {"package": {"name": "b"}}, original_text=original)
    assert text == 'manifestVersion: ""\npackage:\n  name: b\n'


def test_save_quotes_strings_kit_would_read_as_timestamps(tmp_path):
    original = "manifestVersion: 1.0.0 # c\nmodel:\n  parameters:\n    day: x\n"
    data = {"manifestVersion": "1.0.0", "model": {"parameters": {"day": "2001-12-14"}}}
    text = save_kitfile(tmp_path / "Kitfile", data, original_text=original)
    assert load_kitfile(text).model.parameters == {"day": "2001-12-14"}


def test_save_rejects_invalid_data_and_leaves_file_alone(tmp_path):
    path = tmp_path / "Kitfile"
    path.write_text(ORIGINAL)
    with pytest.raises(KitfileError):
        save_kitfile(path, {"bogus": 1}, original_text=ORIGINAL)
    assert path.read_text() == ORIGINAL


def test_save_keeps_the_users_indentation_style(tmp_path):
    original = (
        "manifestVersion: '1.0.0'\n"
        "package:\n"
        "    name: demo   # name\n"
        "    authors:\n"
        "    - Ada\n"
        "model:\n"
        "    path: m.bin\n"
        "    parameters: {lr: 0.1, layers: [1, 2]}\n"
        "code:\n"
        "- path: src\n"
        '  description: "the code"\n'
    )
    data = kitfile_to_dict(load_kitfile(original))
    data["code"].append({"path": "nb.ipynb"})
    data["model"]["parameters"]["lr"] = 0.2
    data["package"]["authors"].append("Grace")
    text = save_kitfile(tmp_path / "Kitfile", data, original_text=original)
    assert text == (
        "manifestVersion: '1.0.0'\n"
        "package:\n"
        "    name: demo   # name\n"
        "    authors:\n"
        "    - Ada\n"
        "    - Grace\n"
        "model:\n"
        "    path: m.bin\n"
        "    parameters: {lr: 0.2, layers: [1, 2]}\n"
        "code:\n"
        "- path: src\n"
        '  description: "the code"\n'
        "- path: nb.ipynb\n"
    )
