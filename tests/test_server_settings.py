"""Administrator settings are checked where they are declared (kitlab/server/settings.py): a bad value
stops kitlab at start with the setting named, never a job later."""

import pytest
from traitlets import TraitError
from traitlets.config import Config

from kitlab.server.settings import Kitlab


def settings(**values):
    return Kitlab(config=Config({"Kitlab": values}))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_concurrent_jobs", 0),
        ("max_concurrent_jobs", 1000),
        ("transfer_concurrency", 0),
        ("transfer_concurrency", 17),
        ("job_niceness", -1),
        ("job_niceness", 20),
        ("job_history", 0),
        ("job_history_days", 0),
        ("scan_max_files", 0),
        ("scan_max_seconds", 0),
        ("default_compression", "brotli"),
        ("allowed_registries", ["['ghcr.io']"]),
        ("allowed_registries", ["https://ghcr.io"]),
        ("allowed_registries", ["ghcr.io/org"]),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(name, value):
    with pytest.raises(TraitError, match=name):
        settings(**{name: value})


def test_good_settings_are_kept():
    s = settings(
        max_concurrent_jobs=4,
        job_niceness=19,
        job_history=10,
        default_compression="zstd",
        allowed_registries=["ghcr.io", "localhost:5000", "127.0.0.1:9", "[::1]:5000"],
    )
    assert (s.max_concurrent_jobs, s.job_niceness, s.job_history, s.default_compression) == (
        4,
        19,
        10,
        "zstd",
    )
    assert s.allowed_registries == ["ghcr.io", "localhost:5000", "127.0.0.1:9", "[::1]:5000"]
