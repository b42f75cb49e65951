"""Webhook rules: where events may go, what they say, when they are tried again."""

from __future__ import annotations

import base64
import socket
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from portal.domain.webhooks import (
    CHAT_ONLY,
    EVENTS,
    OFFERED,
    backoff,
    ca_data,
    check_url,
    event_payload,
    new_secret,
    report_data,
)


def resolving_to(*addresses: str) -> Any:
    """A resolver that answers these addresses for any name, as getaddrinfo would."""

    def resolve(host: str, port: int, **_kwargs: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://127.0.0.1/hook",
        "https://127.8.9.10:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[fc00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://localhost/hook",
    ],
)
def test_private_local_and_special_addresses_are_refused_outside_development(url: str) -> None:
    with pytest.raises(ValueError, match="private or local"):
        check_url(url, allow_loopback=False)


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.7"):
        check_url(
            "https://hooks.example.com/x", allow_loopback=False, resolve=resolving_to("93.184.216.34", "10.0.0.7")
        )


def test_a_public_https_url_passes() -> None:
    url = "https://hooks.example.com/x?y=1"
    assert check_url(f" {url} ", allow_loopback=False, resolve=resolving_to("93.184.216.34")) == url
    assert check_url("https://8.8.8.8/hook", allow_loopback=False) == "https://8.8.8.8/hook"


def test_http_is_refused_outside_development_and_allowed_in_it() -> None:
    with pytest.raises(ValueError, match="https://"):
        check_url("http://8.8.8.8/hook", allow_loopback=False)
    assert check_url("http://127.0.0.1:9000/hook", allow_loopback=True) == "http://127.0.0.1:9000/hook"
    assert check_url("http://localhost:9000/hook", allow_loopback=True)


def test_development_allows_loopback_but_still_refuses_private_networks() -> None:
    assert check_url("https://[::1]/hook", allow_loopback=True)
    with pytest.raises(ValueError, match="private or local"):
        check_url("http://10.1.2.3/hook", allow_loopback=True)
    with pytest.raises(ValueError, match="private or local"):
        check_url("http://169.254.169.254/", allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://8.8.8.8/x", "https://"),
        ("https:///nohost", "no host"),
        ("https://user:pw@8.8.8.8/x", "user name"),
        ("https://8.8.8.8:99999/x", "not a valid URL"),
        ("https://no-such-host.invalid/x", "cannot be found"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_url(url, allow_loopback=False)


def test_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret


def test_backoff_grows_and_a_day_of_failures_takes_several_attempts() -> None:
    waits = [backoff(n) for n in range(1, 10)]
    assert waits == sorted(waits)
    assert waits[0] == timedelta(seconds=5)
    assert waits[-1] == timedelta(hours=10)
    assert sum(waits[:5], timedelta()) < timedelta(days=1) < sum(waits, timedelta())


def test_chat_channels_offer_the_moments_to_act_and_webhooks_the_full_record() -> None:
    assert set(OFFERED["webhook"]) == set(EVENTS) - set(CHAT_ONLY)
    for kind in ("slack", "teams", "mattermost"):
        assert set(OFFERED[kind]) == {
            "report.at_risk",
            "clock.warning",
            "clock.breached",
            "rating.poor",
            "ca.reopened",
            "flood.refused",
        }


def _site() -> SimpleNamespace:
    return SimpleNamespace(id=3, key="shop", name="Shop")


def test_report_payload_has_public_fields_and_links_but_never_the_customers_contact() -> None:
    at = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    report = SimpleNamespace(
        id=42,
        ref="R-ABC",
        site=_site(),
        state="new",
        category="delivery",
        description="Parcel late",
        repeat_level=3,
        customer_tier=2,
        identity_verified=True,
        page_path="/orders/:id",
        created_at=at,
        first_response_due_at=at + timedelta(minutes=20),
        recovery_due_at=None,
        recovered_at=None,
        ca_id=None,
        customer_email="zoe@example.com",
        customer_name="Zoë",
        status_token="secret-token",
    )
    payload = event_payload("report.created", report_data(report, "https://mend.example", extra=1), at)
    assert payload["type"] == "report.created"
    assert payload["timestamp"] == "2025-03-01T12:30:00Z"
    data = payload["data"]
    assert data["ref"] == "R-ABC"
    assert data["url"] == "https://mend.example/staff/reports/42"
    assert data["site"] == {"key": "shop", "name": "Shop", "url": "https://mend.example/staff?site=3"}
    assert data["first_response_due_at"] == "2025-03-01T12:50:00Z"
    assert data["extra"] == 1
    text = repr(payload)
    for private in ("zoe@example.com", "Zoë", "secret-token"):
        assert private not in text


def test_ca_payload_has_its_state_and_link() -> None:
    ca = SimpleNamespace(
        id=7,
        site=_site(),
        state="closed",
        title="Courier misses slots",
        category="delivery",
        severity="high",
        due_on=date(2025, 4, 1),
        public=False,
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        closed_at=datetime(2025, 3, 20, tzinfo=UTC),
    )
    data = ca_data(ca, "https://mend.example", previous_state="verifying")
    assert data["url"] == "https://mend.example/staff/cas/7"
    assert data["due_on"] == "2025-04-01"
    assert (data["state"], data["previous_state"]) == ("closed", "verifying")
