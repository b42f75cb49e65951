"""Pure rules behind "no 500 from input": ids, addresses SMTP can deliver, spreadsheet-safe cells,
date ranges, and the database failures that mean "try again" rather than "bug"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.domain.intake import LIMITS, PATTERNS, Invalid, undeliverable, validate_report
from portal.models import (
    ApologyTemplate,
    CASuggestion,
    CorrectiveAction,
    Gesture,
    MonthlyResult,
    OutboxMail,
    Report,
    Site,
    Task,
)
from portal.routes.errors import BIG_IDS, database_unavailable, id_limit, parse_id, parse_ids
from portal.services.export import _cell
from portal.services.trends import EARLIEST_DAY, Period
from portal.settings import Settings, SettingsError

# Each id-carrying path parameter and the table it names.
ID_PARAMETERS = {
    "report_id": Report,
    "mail_id": OutboxMail,
    "task_id": Task,
    "suggestion_id": CASuggestion,
    "ca_id": CorrectiveAction,
    "site_id": Site,
    "result_id": MonthlyResult,
    "gesture_id": Gesture,
    "template_id": ApologyTemplate,
}


@pytest.mark.parametrize(("name", "model"), ID_PARAMETERS.items())
def test_id_limits_follow_the_column_each_parameter_names(name, model):
    big = isinstance(model.__table__.c.id.type, BigInteger)
    assert (name in BIG_IDS) == big
    assert id_limit(name) == (2**63 - 1 if big else 2**31 - 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), ("²", None), ("٣", None), ("-1", None), (" 4", None), ("", None), (None, None), ("9" * 30, None)],
)
def test_an_id_from_a_form_is_ascii_digits_within_range(value, expected):
    assert parse_id(value) == expected


def test_past_32_bits_only_bigint_ids_remain_ids():
    assert parse_id("3000000000", "report_id") == 3_000_000_000
    assert parse_id("3000000000", "ca_id") is None
    assert parse_ids(["1", "²", "x", "2"], "report_id") == [1, 2]
    assert parse_ids("7") == [7]


def test_a_non_ascii_mailbox_is_undeliverable_without_smtputf8():
    assert undeliverable("zoë@example.com", smtp_utf8=False)
    assert undeliverable("zoë@example.com", smtp_utf8=True) is None
    assert undeliverable("zoe@example.com", smtp_utf8=False) is None


@pytest.mark.parametrize("email", ["zoë@example.com", "a\x00b@example.com", "a\x01@example.com", "a\x85b@example.com"])
def test_intake_refuses_what_no_server_delivers(email):
    with pytest.raises(Invalid) as caught:
        validate_report({"description": "x", "email": email}, ["other"])
    assert "email" in caught.value.errors


def test_limits_count_what_was_sent_as_the_schema_does():
    """The schema's maxLength counts surrounding whitespace too: so does the validator."""
    with pytest.raises(Invalid):
        validate_report({"description": " " + "x" * 2000}, ["other"])
    assert validate_report({"description": "x" * 2000}, ["other"]).description == "x" * 2000


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("page_url", " HTTPS://shop.example/ä?q=1 ", True),
        ("page_url", "https://shop.example/a b", False),
        ("page_url", "http://[", False),  # a URL parser would raise on it
        ("page_url", "https://shop\uff0fexample", False),  # ditto: NFKC makes it a slash
        ("viewport", "\x1c1280x720\u3000", True),  # what strip() removes, the pattern allows
        ("viewport", "١٢٨٠x٧٢٠", False),
        ("email", " a@b.co ", True),
        ("email", "zoë@example.com", False),
        ("name", "Jo\tDoe", True),
        ("name", "Jo\u2028Bcc: x@y.z", False),
    ],
)
def test_the_published_patterns_and_the_validator_agree(field, value, valid):
    assert (re.fullmatch(PATTERNS[field], value) is not None) == valid
    if valid:
        validate_report({"description": "x", field: value}, ["other"])
    else:
        with pytest.raises(Invalid):
            validate_report({"description": "x", field: value}, ["other"])


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "|calc", "＝1+1", "＋1", "－1", "＠A1", "\n=1+1", "  =1+1", "\t=1", "\r=1"],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(text):
    assert _cell(text) == "'" + text


def test_plain_csv_cells_are_left_alone():
    assert _cell("The parcel came late | twice") == "The parcel came late | twice"
    assert _cell(None) == ""


def test_absurd_date_ranges_are_clamped_not_overflowed():
    now = datetime(2026, 11, 28, tzinfo=UTC)
    period = Period.parse("0001-01-01", "9999-12-31", now=now)
    assert period.first_day == EARLIEST_DAY
    assert period.last_day == date(2027, 11, 29)
    assert period.before().start < period.start
    assert Period.parse("9999-12-31", None, now=now).last_day == date(2027, 11, 29)


def test_what_counts_as_the_database_being_away():
    assert database_unavailable(ConnectionRefusedError())
    assert database_unavailable(TimeoutError())
    assert database_unavailable(PoolTimeout("pool"))
    assert database_unavailable(OperationalError("SELECT 1", {}, Exception("unable to open database file")))
    assert not database_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unavailable(RuntimeError("a bug"))


def test_the_smtputf8_setting_reads_true_and_false_and_nothing_else():
    assert Settings.from_env({"PORTAL_SMTP_UTF8": "true"}).smtp_utf8 is True
    assert Settings.from_env({"PORTAL_SMTP_UTF8": "0"}).smtp_utf8 is False
    assert Settings.from_env({}).smtp_utf8 is False
    with pytest.raises(SettingsError):
        Settings.from_env({"PORTAL_SMTP_UTF8": "perhaps"})


@pytest.mark.parametrize("field", list(PATTERNS))
@settings(max_examples=150, database=None, deadline=None)
@given(data=st.data())
def test_the_schema_and_the_validator_accept_exactly_the_same_values(field, data):
    """What the OpenAPI document calls a valid value, the validator takes, and nothing else (smtp_utf8 off,
    as the document says)."""
    value = data.draw(st.one_of(st.from_regex(PATTERNS[field], fullmatch=True), st.text()))
    published = len(value) <= LIMITS[field] and re.fullmatch(PATTERNS[field], value) is not None
    assert accepts({"category": "other", field: value}) == published


def accepts(raw: dict[str, object]) -> bool:
    """Whether the validator takes this report."""
    try:
        validate_report(raw, ["other"])
    except Invalid:
        return False
    return True
