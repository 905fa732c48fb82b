"""A workspace's allow-list: exact origins, any site, and loopback on any port in development."""

from __future__ import annotations

import pytest

from feedback.errors import Invalid
from feedback.widget.origins import LOOPBACK_ANY_PORT, allows, clean_entry

LOOPBACK = list(LOOPBACK_ANY_PORT)


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5077", "http://127.0.0.1:8000", "http://[::1]:3000", "http://localhost"],
)
def test_loopback_on_any_port_is_allowed_in_development(origin: str) -> None:
    assert allows(LOOPBACK, origin, development=True)


@pytest.mark.parametrize("origin", ["http://localhost:5077", "http://127.0.0.1:8000"])
def test_loopback_entries_count_for_nothing_in_production(origin: str) -> None:
    assert not allows(LOOPBACK, origin, development=False)


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:8443",  # another scheme
        "http://localhost.attacker.example:80",
        "http://127.0.0.2:8000",
        "http://192.168.1.5:8000",
        "http://localhost:notaport",
        "http://[",
        "null",
    ],
)
def test_loopback_entries_allow_nothing_else(origin: str) -> None:
    assert not allows(LOOPBACK, origin, development=True)


def test_exact_origins_and_any_site_hold_everywhere() -> None:
    for development in (True, False):
        assert allows(["https://app.example.com/"], "https://app.example.com", development)
        assert not allows(["https://app.example.com"], "https://www.example.com", development)
        assert allows(["*"], "https://anywhere.example", development)


def test_a_port_wildcard_only_on_a_loopback_host() -> None:
    # Not "any port of any host": only the three loopback entries take one.
    assert not allows(["https://app.example.com:*"], "https://app.example.com:444", True)
    with pytest.raises(Invalid) as refused:
        clean_entry("https://app.example.com:*", "allowed_origins[0]", development=True)
    assert refused.value.field == "allowed_origins[0]"


def test_loopback_entries_are_kept_in_development_and_refused_in_production() -> None:
    assert clean_entry("http://localhost:*/", "f", development=True) == "http://localhost:*"
    with pytest.raises(Invalid) as refused:
        clean_entry("http://127.0.0.1:*", "allowed_origins[1]", development=False)
    assert "only in development" in refused.value.message
    assert refused.value.field == "allowed_origins[1]"


def test_an_origin_is_kept_without_its_slash() -> None:
    assert clean_entry("https://app.example.com/", "f", False) == "https://app.example.com"
    assert clean_entry("http://localhost:3000", "f", False) == "http://localhost:3000"
    for bad in ("app.example.com", "javascript:alert(1)", "https://x.example/path", 7):
        with pytest.raises(Invalid):
            clean_entry(bad, "f", False)
