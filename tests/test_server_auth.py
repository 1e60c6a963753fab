"""Every route kitlab registers refuses unauthenticated requests.

The test enumerates ``kitlab.server.routes.ROUTES`` rather than listing URLs by hand, so a route added later
without authentication makes it fail.
"""

import re

import pytest
import tornado.httpclient
import tornado.web

from kitlab.server.routes import ROUTES

METHODS = ("get", "post", "put", "patch", "delete")


def _example_path(pattern: str) -> str:
    """A concrete URL path matching a route pattern: each regex group becomes a plausible value."""
    return re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "example", pattern)


def _cases() -> list[tuple[str, str]]:
    # tornado's RequestHandler answers verbs a handler does not define with one shared stub method.
    unimplemented = tornado.web.RequestHandler.get
    return [
        (_example_path(pattern), method.upper())
        for pattern, handler in ROUTES
        for method in METHODS
        if getattr(handler, method) is not unimplemented
    ]


def test_routes_are_enumerated():
    assert ("version", "GET") in _cases()
    # The key management and verdict routes (docs/trust.md) are among them.
    for case in (("keys", "GET"), ("keys", "POST"), ("keys/import", "POST"), ("keys/trusted", "POST")):
        assert case in _cases()
    assert ("keys/trusted/example", "DELETE") in _cases()
    assert ("trust", "GET") in _cases()
    assert ("diff", "GET") in _cases()  # comparing kits reads the store and registries: auth first


@pytest.mark.parametrize(("path", "method"), _cases())
async def test_route_refuses_unauthenticated_requests(jp_fetch, path, method):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(tornado.httpclient.HTTPClientError) as excinfo:
        await jp_fetch(
            "kitlab",
            *path.split("/"),
            method=method,
            body=body,
            headers={"Authorization": ""},
            allow_nonstandard_methods=True,
        )
    assert excinfo.value.code == 403


@pytest.mark.parametrize(("path", "method"), _cases())
async def test_route_accepts_authenticated_requests(jp_fetch, path, method):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    try:
        response = await jp_fetch(
            "kitlab", *path.split("/"), method=method, body=body, allow_nonstandard_methods=True
        )
        code = response.code
    except tornado.httpclient.HTTPClientError as exc:
        code = exc.code
    # Authenticated requests get past the auth layer: any answer but 401/403 (validation errors are fine).
    assert code not in (401, 403)
