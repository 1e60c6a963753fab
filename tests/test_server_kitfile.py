"""The schema, kitfile and validate endpoints through a real Jupyter server, authentication on."""

import json
import os

import pytest
import tornado.httpclient

from kitlab.kitfile.spdx import check_license

COMMENTED = """\
# Churn model kit
manifestVersion: 1.0.0
package:
  name: churn   # shown by kit list
model:
  name: churn
  path: models/churn.joblib
"""


@pytest.fixture
def project(jp_root_dir):
    folder = jp_root_dir / "project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "churn.joblib").write_bytes(b"\x80\x04K\x01.")
    (folder / "data").mkdir()
    (folder / "data" / "train.csv").write_text("a,b\n1,2\n")
    return folder


async def fetch_json(jp_fetch, *parts, **kwargs):
    response = await jp_fetch("kitlab", *parts, **kwargs)
    return json.loads(response.body)


async def validate(jp_fetch, payload):
    return await fetch_json(
        jp_fetch, "kitfile", "validate", params={"path": "project"}, method="POST", body=json.dumps(payload)
    )


async def expect_error(jp_fetch, code, *parts, **kwargs):
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch("kitlab", *parts, **kwargs)
    assert excinfo.value.code == code
    return json.loads(excinfo.value.response.body)["error"]


async def test_schema_describes_the_kitfile_for_the_form(jp_fetch):
    body = await fetch_json(jp_fetch, "schema")
    props = body["schema"]["properties"]
    assert {"manifestVersion", "package", "model", "code", "datasets", "docs"} <= set(props)
    assert body["schema"]["additionalProperties"] is False
    assert isinstance(body["uiSchema"], dict)


async def test_schema_names_the_form_widgets_and_sends_their_vocabularies(jp_fetch):
    body = await fetch_json(jp_fetch, "schema")
    ui, suggestions = body["uiSchema"], body["suggestions"]
    # Every path field browses the workspace; license, framework and format fields suggest.
    assert ui["model"]["path"]["ui:widget"] == "path"
    assert ui["datasets"]["items"]["path"]["ui:widget"] == "path"
    assert ui["model"]["parts"]["items"]["path"]["ui:widget"] == "path"
    for hint, vocabulary in (
        (ui["package"]["license"], "licenses"),
        (ui["datasets"]["items"]["license"], "licenses"),
        (ui["model"]["framework"], "frameworks"),
        (ui["model"]["format"], "formats"),
    ):
        assert hint["ui:widget"] == "suggest"
        assert hint["ui:options"]["suggestions"] == vocabulary
        assert suggestions[vocabulary]
    # Current SPDX ids only (the validator warns on deprecated ones, so the form must not offer them).
    assert {"Apache-2.0", "MIT", "CC-BY-4.0"} <= set(suggestions["licenses"])
    assert "GPL-2.0" not in suggestions["licenses"]
    assert [i for i in suggestions["licenses"] if check_license(i) is not None] == []
    assert "scikit-learn" in suggestions["frameworks"]


async def test_a_folder_without_kitfile_reads_as_absent(jp_fetch, project):
    doc = await fetch_json(jp_fetch, "kitfile", params={"path": "project"})
    assert doc == {"path": "project/Kitfile", "exists": False, "problems": []}


async def test_saving_from_the_form_keeps_comments_and_reads_back(jp_fetch, project):
    (project / "Kitfile").write_text(COMMENTED)
    doc = await fetch_json(jp_fetch, "kitfile", params={"path": "project"})
    form = doc["kitfile"]
    form["datasets"] = [{"name": "train", "path": "data/train.csv"}]
    saved = await fetch_json(
        jp_fetch, "kitfile", params={"path": "project"}, method="PUT", body=json.dumps({"kitfile": form})
    )
    text = (project / "Kitfile").read_text()
    assert "# Churn model kit" in text
    assert "# shown by kit list" in text
    assert saved["kitfile"]["datasets"] == [{"name": "train", "path": "data/train.csv"}]
    assert [p for p in saved["problems"] if p["severity"] == "error"] == []


async def test_an_unknown_field_is_refused_with_line_and_field_path(jp_fetch, project):
    text = COMMENTED + "datasets:\n  - name: train\n    path: data/train.csv\n    licence: MIT\n"
    error = await expect_error(
        jp_fetch, 400, "kitfile", params={"path": "project"}, method="PUT", body=json.dumps({"text": text})
    )
    problem = next(p for p in error["details"]["problems"] if p["path"] == "datasets[0].licence")
    assert problem["line"] == 11
    assert "did you mean license" in problem["message"]
    assert not (project / "Kitfile").exists()


async def test_validate_reports_missing_paths_without_writing(jp_fetch, project):
    form = {"manifestVersion": "1.0.0", "package": {"name": "x"}, "model": {"path": "models/missing.bin"}}
    body = await validate(jp_fetch, {"kitfile": form})
    assert any(p["path"] == "model.path" and p["severity"] == "error" for p in body["problems"])
    assert not (project / "Kitfile").exists()


async def test_validate_names_the_kit_version_a_field_needs_once(jp_fetch, project):
    (project / "p.md").write_text("Be brief.")
    text = "manifestVersion: 1.0.0\npackage:\n  name: x\nprompts:\n  - path: p.md\n"
    body = await validate(jp_fetch, {"text": text})
    assert [(p["path"], p["severity"]) for p in body["problems"]] == [("prompts", "warning")]
    assert "kit ≥ 1.15" in body["problems"][0]["message"]


async def test_validate_shows_the_text_a_save_of_form_edits_would_write(jp_fetch, project):
    (project / "Kitfile").write_text(COMMENTED)
    form = (await fetch_json(jp_fetch, "kitfile", params={"path": "project"}))["kitfile"]
    form["package"]["version"] = "1.10"
    body = await validate(jp_fetch, {"kitfile": form})
    # The YAML tab shows the unsaved form edit laid into the file: comments kept, the version as typed.
    assert body["text"] == COMMENTED.replace(
        "name: churn   # shown by kit list\n", "name: churn   # shown by kit list\n  version: '1.10'\n"
    )
    assert (project / "Kitfile").read_text() == COMMENTED
    # Saving writes exactly that text.
    await fetch_json(
        jp_fetch, "kitfile", params={"path": "project"}, method="PUT", body=json.dumps({"kitfile": form})
    )
    assert (project / "Kitfile").read_text() == body["text"]


async def test_form_edits_are_laid_into_the_editors_unsaved_text(jp_fetch, project):
    (project / "Kitfile").write_text(COMMENTED)
    # The editor holds a comment typed but not saved; a form edit keeps it (the disk file lacks it).
    unsaved = COMMENTED.replace("model:\n", "model:  # typed, not saved\n")
    form = (await validate(jp_fetch, {"text": unsaved}))["kitfile"]
    form["package"]["version"] = "2"
    body = await validate(jp_fetch, {"kitfile": form, "original": unsaved})
    assert "model:  # typed, not saved\n" in body["text"]
    assert "# shown by kit list" in body["text"]
    assert "version: '2'" in body["text"]
    assert (project / "Kitfile").read_text() == COMMENTED


async def test_validate_has_no_text_for_an_unparseable_kitfile(jp_fetch, project):
    body = await validate(jp_fetch, {"text": "manifestVersion: [\n"})
    assert body["kitfile"] is None
    assert body["text"] is None
    assert any(p["severity"] == "error" for p in body["problems"])


@pytest.mark.parametrize("bad", ["../outside", "/etc", "project/../../outside"])
async def test_paths_outside_the_root_are_refused(jp_fetch, project, bad):
    error = await expect_error(jp_fetch, 403, "kitfile", params={"path": bad})
    assert error["code"] == "forbidden_path"


@pytest.mark.parametrize("raw_query", ["path=%2e%2e%2foutside", "path=%2E%2E/outside", "path=%2fetc"])
async def test_url_encoded_traversal_is_refused(
    jp_serverapp, http_server_client, jp_base_url, jp_auth_header, project, raw_query
):
    # Sent as-is: the server decodes %2e%2e to '..' itself, which is what an attacker relies on.
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await http_server_client.fetch(f"{jp_base_url}kitlab/kitfile?{raw_query}", headers=jp_auth_header)
    assert excinfo.value.code == 403


async def test_a_symlink_out_of_the_root_is_refused(jp_fetch, project, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, project / "escape")
    error = await expect_error(jp_fetch, 403, "kitfile", params={"path": "project/escape"})
    assert "outside the workspace" in error["message"]


async def test_a_missing_folder_is_404(jp_fetch, project):
    error = await expect_error(jp_fetch, 404, "kitfile", params={"path": "nope"})
    assert error["code"] == "not_found"
