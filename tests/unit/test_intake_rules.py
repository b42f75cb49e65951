from datetime import UTC, datetime

import pytest

from portal.domain.intake import (
    Invalid,
    customer_local_time,
    is_honeypot_filled,
    sanitize_context,
    validate_report,
)

SLUGS = ["delivery", "website", "other"]


def errors_of(raw: dict) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        validate_report(raw, SLUGS)
    return caught.value.errors


def test_a_category_alone_is_enough():
    draft = validate_report({"category": "website"}, SLUGS)
    assert draft.category == "website"
    assert draft.description == ""


def test_a_description_alone_files_under_other():
    assert validate_report({"description": "It hung"}, SLUGS).category == "other"


def test_empty_description_and_no_category_names_the_description():
    assert "description" in errors_of({"description": "   "})


def test_description_over_2000_characters_is_refused_with_its_length():
    assert "2001" in errors_of({"description": "x" * 2001})["description"]
    assert validate_report({"description": "x" * 2000}, SLUGS).description == "x" * 2000


def test_unknown_category_is_refused():
    assert "category" in errors_of({"category": "nope", "description": "x"})


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a b@c.com", "x@y.com\r\nBcc: victim@z.com", "<a@b.com>"])
def test_bad_email_is_refused(email):
    assert "email" in errors_of({"description": "x", "email": email})


def test_email_is_kept_lowercase():
    assert (
        validate_report({"description": "x", "email": "Jo.Doe+shop@Example.COM"}, SLUGS).email
        == "jo.doe+shop@example.com"
    )


@pytest.mark.parametrize("field", ["name", "location", "customer_id"])
def test_line_breaks_in_single_line_fields_are_refused(field):
    # These values can reach mail headers; a CR/LF there would inject headers.
    assert field in errors_of({"description": "x", field: "Jo\r\nBcc: victim@example.com"})


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/a", "//x.example", "data:text/html,hi"])
def test_page_url_must_be_http_or_https(url):
    assert "page_url" in errors_of({"description": "x", "page_url": url})


def test_numbers_are_checked_for_type_and_range():
    assert "busy" in errors_of({"description": "x", "busy": 101})
    assert "busy" in errors_of({"description": "x", "busy": "lots"})
    assert "busy" in errors_of({"description": "x", "busy": True})
    assert "tz_offset_min" in errors_of({"description": "x", "tz_offset_min": 15 * 60})
    assert validate_report({"description": "x", "busy": "55", "tz_offset_min": "-300"}, SLUGS).busy == 55


def test_every_bad_field_is_named_at_once():
    errors = errors_of({"description": "", "email": "bad", "page_url": "ftp://x", "viewport": "big"})
    assert set(errors) == {"description", "email", "page_url", "viewport"}


def test_an_unknown_or_malformed_language_is_never_an_error():
    for lang in ("!!", "xx-YY", "fr-CA", "", "a" * 200):
        assert validate_report({"description": "x", "lang": lang}, SLUGS).description == "x"


def test_sql_metacharacters_are_just_text():
    text = "'; DROP TABLE report; -- \" OR 1=1"
    assert validate_report({"description": text}, SLUGS).description == text


def test_honeypot():
    assert is_honeypot_filled({"website": "http://spam.example"})
    assert not is_honeypot_filled({"website": "  "})
    assert not is_honeypot_filled({})


def test_local_time_from_offset_east_of_utc():
    now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # a Wednesday
    local = customer_local_time(now, 120)
    assert local is not None
    assert (local.weekday, local.hour) == (3, 1)  # Thursday 01:30 in UTC+2
    west = customer_local_time(now, -300)
    assert west is not None
    assert (west.weekday, west.hour) == (2, 18)
    assert customer_local_time(now, None) is None


def test_bad_context_from_a_host_is_dropped_rather_than_blocking_the_customer():
    values = sanitize_context(
        {"busy": "very", "page_url": "https://shop.example/p", "lang": "en-GB", "embed": "1", "junk": "x"}
    )
    assert values == {"page_url": "https://shop.example/p", "lang": "en-GB", "embed": "1"}
