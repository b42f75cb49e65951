"""Single sign-on rules: who may join by themselves, and what an ID token must say about its email."""

from __future__ import annotations

import pytest

from portal.domain.sso import SsoRefused, identity_from_claims, issuer_label, may_join, parse_domains


def test_domains_are_read_lowercased_without_an_at_sign():
    assert parse_domains(" Example.com, @Partner.example ,") == ("example.com", "partner.example")
    for bad in ("localhost", "a@b.example", "https://x.example"):
        with pytest.raises(ValueError, match="not an email domain"):
            parse_domains(bad)


def test_only_a_listed_domain_may_join_not_its_subdomains_or_lookalikes():
    domains = ("partner.example",)
    assert may_join("Nia@Partner.Example", domains)
    assert not may_join("nia@evil.partner.example", domains)
    assert not may_join("nia@notpartner.example", domains)
    assert not may_join("nia@partner.example", ())


def test_the_identity_is_the_verified_email_lowercased_with_the_name():
    identity = identity_from_claims({"email": " Nia@Shop.Example ", "email_verified": True, "name": " Nia Brooks "})
    assert (identity.email, identity.name) == ("nia@shop.example", "Nia Brooks")
    assert identity_from_claims({"email": "a@b.example", "email_verified": "true"}).name == ""


@pytest.mark.parametrize("verified", [False, "false", None, 1])
def test_an_email_the_provider_has_not_verified_is_refused(verified):
    claims = {"email": "nia@shop.example"} | ({} if verified is None else {"email_verified": verified})
    with pytest.raises(SsoRefused, match="has not verified"):
        identity_from_claims(claims)


def test_a_token_without_an_email_is_refused():
    with pytest.raises(SsoRefused, match="did not share your email"):
        identity_from_claims({"sub": "123", "email_verified": True})


def test_the_button_names_the_issuers_host():
    assert issuer_label("https://login.example.com/realms/staff") == "login.example.com"
