"""Decoy status tokens: shaped like real ones, random-looking, readable only with the secret."""

from __future__ import annotations

import string
from datetime import UTC, datetime

from portal.domain import tokens
from portal.domain.decoys import Decoy, decoy_ref, decoy_seed, decoy_token, read_decoy_token

SECRET = "a-secret-for-decoys-0123456789"
DECOY = Decoy(
    site_id=42, at=datetime(2026, 11, 28, 9, 41, tzinfo=UTC), category_index=3, language_index=7, tz_offset_min=-210
)


def test_a_decoy_token_reads_back_what_it_was_given():
    assert read_decoy_token(SECRET, decoy_token(SECRET, DECOY)) == DECOY
    anonymous = Decoy(site_id=1, at=DECOY.at, category_index=None, language_index=0, tz_offset_min=None)
    assert read_decoy_token(SECRET, decoy_token(SECRET, anonymous)) == anonymous


def test_a_decoy_token_looks_like_a_real_status_token():
    real = tokens.status_token()
    fakes = [decoy_token(SECRET, DECOY) for _ in range(50)]
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert all(len(fake) == len(real) and set(fake) <= alphabet for fake in fakes)
    assert len({fake[:4] for fake in fakes}) > 40  # the same decoy twice shares no telltale part
    assert len({fake[-12:] for fake in fakes}) == 50


def test_only_this_secret_opens_a_decoy_and_a_changed_token_is_none():
    token = decoy_token(SECRET, DECOY)
    assert read_decoy_token("another-secret-0123456789", token) is None
    for i in range(len(token)):
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        assert read_decoy_token(SECRET, changed) is None
    assert read_decoy_token(SECRET, tokens.status_token()) is None
    for junk in ("", "abc", "é" * 32, "%00" * 11, "A" * 33):
        assert read_decoy_token(SECRET, junk) is None


def test_a_decoys_reference_and_apology_seed_are_stable_and_look_like_a_real_reference():
    token = decoy_token(SECRET, DECOY)
    ref = decoy_ref(SECRET, token)
    assert ref == decoy_ref(SECRET, token)
    assert len(ref) == len(tokens.report_ref())
    assert set(ref) <= set(tokens.REF_ALPHABET)
    assert decoy_seed(SECRET, token) == decoy_seed(SECRET, token) != decoy_seed(SECRET, decoy_token(SECRET, DECOY))
