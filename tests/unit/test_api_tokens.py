"""Staff API tokens' pure rules: format, hash, scopes, expiry, when last use is written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.domain import api_tokens as rules

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def test_tokens_are_prefixed_random_and_stored_as_sha256():
    token = rules.new_token()
    assert token.startswith("mend_")
    assert token != rules.new_token()
    assert len(rules.token_hash(token)) == 64
    assert rules.token_hash(token) != token
    assert rules.shown_prefix(token) == token[:12]


def test_scopes_are_checked_and_put_in_order():
    assert rules.valid_scopes(["cas:read", "reports:read", "cas:read"]) == ["reports:read", "cas:read"]
    with pytest.raises(rules.TokenRefused, match="admin:all"):
        rules.valid_scopes(["reports:read", "admin:all"])
    with pytest.raises(rules.TokenRefused):
        rules.valid_scopes([])


def test_a_token_works_through_its_last_day():
    ends = rules.expiry(date(2030, 5, 2), NOW.date())
    assert ends == datetime(2030, 5, 3, tzinfo=UTC)
    assert rules.is_live(revoked_at=None, expires_at=ends, now=ends - timedelta(seconds=1))
    assert not rules.is_live(revoked_at=None, expires_at=ends, now=ends)
    assert rules.expiry(None, NOW.date()) is None
    with pytest.raises(rules.TokenRefused):
        rules.expiry(NOW.date(), NOW.date())


def test_a_revoked_token_is_dead():
    assert not rules.is_live(revoked_at=NOW, expires_at=None, now=NOW)
    assert rules.is_live(revoked_at=None, expires_at=None, now=NOW)


def test_missing_scope():
    assert rules.missing_scope(frozenset({"reports:read"}), "reports:write")
    assert not rules.missing_scope(frozenset({"reports:read"}), "reports:read")


def test_last_use_is_written_at_most_once_a_minute():
    assert rules.last_use_due(None, NOW)
    assert not rules.last_use_due(NOW - timedelta(seconds=59), NOW)
    assert rules.last_use_due(NOW - timedelta(minutes=1), NOW)
