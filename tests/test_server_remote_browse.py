"""Browsing a real registry through the server: a page of repositories, a page of tags, a kit
inspected without pulling, a push under several tags, and deleting one tag."""

import pytest
import tornado.httpclient

from tests.support.jobs import call, wait_job
from tests.support.registry import run_registry
from tests.test_server_jobs import project  # noqa: F401  (a fixture)


async def push(jp_fetch, params):
    _, job = await call(jp_fetch, "jobs", method="POST", body={"kind": params.pop("kind"), "params": params})
    done = await wait_job(jp_fetch, job["id"])
    assert done["state"] == "succeeded", done["error"]
    return done


@pytest.fixture
def registry(tmp_path):
    with run_registry("none", tmp_path / "reg") as running:
        yield running


async def test_catalog_tags_inspect_and_delete_a_tag(jp_fetch, project, registry):  # noqa: F811
    host = registry.host
    for name in ("team/a", "team/b", "team/c"):
        await push(
            jp_fetch,
            {"kind": "pack-push", "path": "project", "reference": f"{host}/{name}:v1", "plainHttp": True},
        )
    # A local kit pushed under three tags at once: one job, one upload.
    await push(jp_fetch, {"kind": "pack", "path": "project", "reference": "churn:v1"})
    pushed = await push(
        jp_fetch,
        {
            "kind": "push",
            "reference": "churn:v1",
            "destination": f"{host}/team/a:v2",
            "tags": ["v3", "latest"],
            "plainHttp": True,
        },
    )

    plain = {"plainHttp": "true"}
    _, first = await call(jp_fetch, "remote", "catalog", params={"registry": host, "n": "2", **plain})
    assert first == {"registry": host, "repositories": ["team/a", "team/b"], "next": "team/b"}
    _, rest = await call(
        jp_fetch, "remote", "catalog", params={"registry": host, "n": "2", "last": "team/b", **plain}
    )
    assert rest["repositories"] == ["team/c"]

    _, tags = await call(
        jp_fetch, "remote", "tags", params={"repository": f"{host}/team/a", "n": "3", **plain}
    )
    assert tags["tags"] == ["latest", "v1", "v2"]
    assert tags["next"] == "v2"
    _, more = await call(
        jp_fetch, "remote", "tags", params={"repository": f"{host}/team/a", "n": "3", "last": "v2", **plain}
    )
    assert more["tags"] == ["v3"]

    # Inspected without pulling: the same shape as a stored kit's inspect, and the store is unchanged.
    _, kits_before = await call(jp_fetch, "kits")
    _, remote = await call(jp_fetch, "remote", "kit", params={"reference": f"{host}/team/a:v3", **plain})
    _, local = await call(jp_fetch, "kits", "churn:v1")
    assert remote["digest"] == pushed["result"]["digest"] == local["digest"]
    assert remote["manifest"] == local["manifest"]
    assert remote["kitfile"] == local["kitfile"]
    assert remote["kitfile"]["package"]["name"] == "churn"
    _, kits_after = await call(jp_fetch, "kits")
    assert kits_after == kits_before

    # Deleting a tag never takes other tags with it: this registry deletes whole kits only (by
    # digest), so a tag that shares its kit with others is refused, naming them.
    with pytest.raises(tornado.httpclient.HTTPClientError) as shared:
        await call(
            jp_fetch, "remote", "kit", method="DELETE", params={"reference": f"{host}/team/a:v3", **plain}
        )
    assert shared.value.code == 409
    assert "v2" in shared.value.response.body.decode()
    _, after = await call(jp_fetch, "remote", "tags", params={"repository": f"{host}/team/a", **plain})
    assert after["tags"] == ["latest", "v1", "v2", "v3"]
    # A tag that alone names its kit goes, and the other kits stay.
    (project / "data" / "train.csv").write_text("a,b\n3,4\n")
    await push(
        jp_fetch,
        {"kind": "pack-push", "path": "project", "reference": f"{host}/team/a:other", "plainHttp": True},
    )
    code, _ = await call(
        jp_fetch, "remote", "kit", method="DELETE", params={"reference": f"{host}/team/a:other", **plain}
    )
    assert code == 204
    _, after = await call(jp_fetch, "remote", "tags", params={"repository": f"{host}/team/a", **plain})
    assert after["tags"] == ["latest", "v1", "v2", "v3"]


async def test_browsing_refuses_bad_input_and_unknown_kits(jp_fetch, registry):
    plain = {"plainHttp": "true"}
    for params in (
        {"registry": registry.host, "n": "0"},
        {"registry": registry.host, "n": "1001"},
        {"registry": ""},
    ):
        with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
            await call(jp_fetch, "remote", "catalog", params={**params, **plain})
        assert refused.value.code == 400
    with pytest.raises(tornado.httpclient.HTTPClientError) as missing:
        await call(jp_fetch, "remote", "kit", params={"reference": f"{registry.host}/no/such:v1", **plain})
    assert missing.value.code == 404
    with pytest.raises(tornado.httpclient.HTTPClientError) as untagged:
        await call(
            jp_fetch,
            "remote",
            "kit",
            method="DELETE",
            params={"reference": f"{registry.host}/team/a@sha256:{'0' * 64}", **plain},
        )
    assert untagged.value.code == 400
