"""Reference parsing table from kit's reference_test.go and docs/kit-format.md, "References" (v1.7.0: no
default tag)."""

from __future__ import annotations

import pytest

from kitlab.errors import InvalidInput
from kitlab.modelkit.reference import (
    Reference,
    format_repository_for_display,
    is_modelkit_reference,
    parse_reference,
    validate_tag,
)

D = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

CASES = [
    (
        "testregistry.io/test-organization/test-repository:test-tag",
        Reference("testregistry.io", "test-organization/test-repository", tag="test-tag"),
    ),
    (
        "testregistry.io/test-organization/test-repository:test-tag,extraTag1,extraTag2",
        Reference(
            "testregistry.io",
            "test-organization/test-repository",
            "test-tag",
            extra_tags=("extraTag1", "extraTag2"),
        ),
    ),
    (
        "test-repository:test-tag,extraTag1,extraTag2",
        Reference("localhost", "test-repository", "test-tag", extra_tags=("extraTag1", "extraTag2")),
    ),
    (
        "localhost:5000/test-organization/test-repository:test-tag,extraTag1,extraTag2",
        Reference(
            "localhost:5000",
            "test-organization/test-repository",
            "test-tag",
            extra_tags=("extraTag1", "extraTag2"),
        ),
    ),
    (D, Reference("localhost", "_", digest=D)),
    (
        "test-organization/test-repository:test-tag,extraTag1,extraTag2",
        Reference(
            "localhost",
            "test-organization/test-repository",
            "test-tag",
            extra_tags=("extraTag1", "extraTag2"),
        ),
    ),
    ("a/b/c/d", Reference("localhost", "a/b/c/d")),  # v1.7.0: no implicit "latest"
    ("test.io/a/b/c/d", Reference("test.io", "a/b/c/d")),
    (f"testrepo@{D}", Reference("localhost", "testrepo", digest=D)),
    (f"testrepo:ignoredtag@{D}", Reference("localhost", "testrepo", digest=D)),
    (f"testorg/testrepo@{D}", Reference("localhost", "testorg/testrepo", digest=D)),
    (f"testorg.com/testrepo@{D}", Reference("testorg.com", "testrepo", digest=D)),
    ("mymodel:v1", Reference("localhost", "mymodel", "v1")),
    ("localhost/repo:t", Reference("localhost", "localhost/repo", "t")),  # first segment has no '.'/':'
    ("jozu.ml/org/model:latest", Reference("jozu.ml", "org/model", "latest")),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_reference(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must start and end"),
        ("MyModel:v1", "must be lowercase"),
        ("repo:-bad", "invalid tag"),
        ("repo:" + "a" * 129, "invalid tag"),
        ("repo@sha256:abc", "invalid digest"),
        ("re..po:v1", "invalid repository"),
        ("-repo:v1", "invalid repository"),
        ("bad host.io:x:y/repo:v1", "invalid registry"),
        ("user@host.io/repo:v1", "invalid"),
    ],
)
def test_invalid_references(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_reference(text)


def test_repo_key_str_and_display() -> None:
    ref = parse_reference("mymodel:v1")
    assert ref.repo_key == "localhost/mymodel"
    assert str(ref) == "localhost/mymodel:v1"
    assert ref.display() == "mymodel:v1"
    assert parse_reference(D).display() == D
    assert str(parse_reference(f"reg.io/x@{D}")) == f"reg.io/x@{D}"
    assert format_repository_for_display("localhost/_") == ""
    assert format_repository_for_display("localhost:5000/a") == "localhost:5000/a"
    assert parse_reference("r:t1,t2,t3").tags == ["t1", "t2", "t3"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("myrepo:v1", True),
        ("jozu.ml/org/model:latest", True),
        (D, True),
        ("models/model.bin", False),  # no ':' or '@'
        ("data:V1x", True),  # a real file named like this is treated as a reference too (kit quirk)
        ("Data:v1", False),  # upper-case repository does not parse
        ("./model:v1", True),  # "." counts as a registry host for kit too
    ],
)
def test_is_modelkit_reference(path: str, expected: bool) -> None:
    assert is_modelkit_reference(path) is expected


def test_validate_tag() -> None:
    validate_tag("v1.0_rc-2")
    with pytest.raises(InvalidInput, match="invalid tag"):
        validate_tag("bad tag")
    with pytest.raises(InvalidInput):
        validate_tag(".hidden")
