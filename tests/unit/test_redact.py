"""What a log line may say about a person: masked emails, hashed addresses, URLs and paths without secrets."""

from __future__ import annotations

import logging

from portal.cli import PrivateAccessLog
from portal.domain.identity import client_hash
from portal.domain.redact import hash_address, mask_email, mask_emails, redact_path, redact_url


def test_an_email_keeps_its_first_letter_and_domain():
    assert mask_email("ana.lima@example.com") == "a***@example.com"
    assert mask_email("not an address") == "***"
    assert mask_email("@example.com") == "***"


def test_every_address_in_free_text_is_masked():
    said = "(550, 'no such user <ana.lima@example.com>, nor zoe+x@shop.co.uk')"
    assert mask_emails(said) == "(550, 'no such user <a***@example.com>, nor z***@shop.co.uk')"
    assert mask_emails("connection refused") == "connection refused"


def test_an_address_hash_is_short_keyed_and_stable():
    assert hash_address("k1", "203.0.113.9") == hash_address("k1", "203.0.113.9")
    assert hash_address("k1", "203.0.113.9") != hash_address("k2", "203.0.113.9")
    assert hash_address("k1", "203.0.113.9") == client_hash("k1", "203.0.113.9")[:12]
    assert "203.0.113" not in hash_address("k1", "203.0.113.9")


def test_a_url_keeps_only_scheme_and_host():
    assert redact_url("https://hooks.slack.com/services/T0/B0/s3cr3t?x=1") == "https://hooks.slack.com/…"
    assert redact_url("https://user:pw@hooks.example:8443/x") == "https://hooks.example:8443/…"
    assert redact_url("no url") == "…"


def test_a_path_loses_its_query_and_tokens():
    token = "Xq3_9aZ-kLmN0pQrStUvWxYz12345678"
    assert redact_path(f"/s/{token}/replies?x=ana@example.com") == "/s/…/replies"
    assert redact_path("/staff/reports/12?q=ana") == "/staff/reports/12"
    assert redact_path("/w/site_AbCdEfGhIjKlMnOp") == "/w/site_AbCdEfGhIjKlMnOp"  # a site key is public


def test_the_access_log_hashes_the_client_and_drops_query_and_token():
    token = "Xq3_9aZ-kLmN0pQrStUvWxYz12345678"
    args = ("203.0.113.9:51000", "GET", f"/s/{token}?email=ana@example.com", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)
    assert PrivateAccessLog("k1").filter(record)
    assert record.getMessage() == f'{hash_address("k1", "203.0.113.9")} - "GET /s/… HTTP/1.1" 200'
