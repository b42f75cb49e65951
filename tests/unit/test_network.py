"""Which address a request is counted by: forwarded headers only count from trusted proxies."""

from __future__ import annotations

import pytest

from portal.domain.network import client_address, parse_proxies
from portal.settings import Settings

PROXIES = parse_proxies("10.0.0.1, 10.1.0.0/16, fd00::/8")


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_forwards() -> None:
    assert client_address("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"
    assert client_address("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"


def test_a_trusted_proxy_is_believed_about_the_address_it_saw() -> None:
    assert client_address("10.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_address("fd00::5", "2001:db8::1", PROXIES) == "2001:db8::1"
    assert client_address("::ffff:10.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"


def test_what_the_client_wrote_before_our_proxies_is_ignored() -> None:
    # The client sent "X-Forwarded-For: 1.2.3.4"; our two proxies appended what each of them saw.
    assert client_address("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.2.3", PROXIES) == "198.51.100.7"


def test_only_proxies_forwarding_means_the_leftmost_address() -> None:
    assert client_address("10.0.0.1", "10.1.0.9", PROXIES) == "10.1.0.9"
    assert client_address("10.0.0.1", None, PROXIES) == "10.0.0.1"
    assert client_address(None, "198.51.100.1", PROXIES) == "unknown"


def test_trusted_proxies_are_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"PORTAL_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}).trusted_proxies == (
        "10.0.0.1/32",
        "10.1.0.0/16",
    )
    assert Settings.from_env({"PORTAL_TRUSTED_PROXIES": ""}).trusted_proxies is None
    assert Settings.from_env({}).trusted_proxies is None
    with pytest.raises(ValueError, match=r"proxy\.example"):
        Settings.from_env({"PORTAL_TRUSTED_PROXIES": "proxy.example"})
