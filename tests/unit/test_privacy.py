"""The pure privacy rules: what anonymising a report changes, the retention cut-off, the audit's customer hash."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from portal.domain.privacy import anonymised_fields, customer_hash, retention_cutoff, scrub

NOW = datetime(2026, 3, 31, 9, tzinfo=UTC)


def test_anonymised_fields_drop_the_person_and_keep_the_path():
    fields = anonymised_fields(SimpleNamespace(page_path="/orders/:id", suggestion="Wrap it"), "[gone]", now=NOW)
    assert fields["page_url"] == "/orders/:id"
    assert fields["description"] == fields["suggestion"] == fields["apology_text"] == "[gone]"
    assert fields["client_hash"] == ""
    assert fields["anonymised_at"] == NOW
    assert all(fields[c] is None for c in ("customer_name", "customer_email", "customer_external_id", "customer_key"))
    kept = ("category", "state", "location", "local_hour", "local_weekday", "created_at", "page_path")
    assert not set(kept) & set(fields)


def test_no_suggestion_stays_none_and_no_path_means_no_url():
    fields = anonymised_fields(SimpleNamespace(page_path=None, suggestion=None), "[gone]", now=NOW)
    assert fields["suggestion"] is None
    assert fields["page_url"] is None


def test_retention_cutoff_moves_back_calendar_months():
    assert retention_cutoff(NOW, 18) == datetime(2024, 9, 30, 9, tzinfo=UTC)  # no 31 September
    assert retention_cutoff(NOW, 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert retention_cutoff(NOW, 120) == datetime(2016, 3, 31, 9, tzinfo=UTC)


def test_customer_hash_is_keyed_and_per_site():
    one = customer_hash("secret", 1, "email:a@b.example")
    assert len(one) == 64
    assert "a@b" not in one
    assert one == customer_hash("secret", 1, "email:a@b.example")
    assert one != customer_hash("secret", 2, "email:a@b.example")
    assert one != customer_hash("other", 1, "email:a@b.example")


def test_scrub_replaces_the_longest_values_first():
    assert scrub("Gift for Zelda Quill (Zelda)", ["Zelda", "Zelda Quill", None], "[x]") == "Gift for [x] ([x])"
