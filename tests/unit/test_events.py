"""Customer activity from the host: the request signature and what a valid batch is."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain.events import (
    MAX_EVENTS,
    SHOWN_ERRORS,
    BadBatch,
    Event,
    Unauthenticated,
    check_signature,
    parse_batch,
    sign_events,
)

SECRET = "s" * 64
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
BODY = b'{"events": []}'


def batch(*events: object) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def event(**fields: object) -> dict[str, object]:
    values: dict[str, object] = {"id": "evt-1", "customer_id": "42", "type": "order", "at": "2026-02-28T09:30:00Z"}
    values.update(fields)
    return values


# ---- signature ------------------------------------------------------------------------------------


def test_signature_is_the_hmac_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_events(SECRET, TS, BODY) == f"v1={expected}"


def test_a_fresh_signature_over_this_body_is_accepted():
    check_signature(SECRET, timestamp=TS, signature=sign_events(SECRET, TS, BODY), body=BODY, now=NOW)


def test_hex_case_and_surrounding_space_do_not_matter():
    signature = " " + sign_events(SECRET, TS, BODY).upper().replace("V1=", "v1=") + " "
    check_signature(SECRET, timestamp=TS, signature=signature, body=BODY, now=NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5), -timedelta(minutes=5)])
def test_a_timestamp_within_five_minutes_either_way_is_accepted(skew):
    sent = str(int((NOW + skew).timestamp()))
    check_signature(SECRET, timestamp=sent, signature=sign_events(SECRET, sent, BODY), body=BODY, now=NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)])
def test_a_timestamp_over_five_minutes_either_way_is_refused_even_when_signed(skew):
    sent = str(int((NOW + skew).timestamp()))
    with pytest.raises(Unauthenticated, match="5 minutes"):
        check_signature(SECRET, timestamp=sent, signature=sign_events(SECRET, sent, BODY), body=BODY, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "secret", "message"),
    [
        (TS, sign_events(SECRET, TS, BODY), b'{"events": [] }', SECRET, "does not match"),  # another body
        (TS, sign_events("t" * 64, TS, BODY), BODY, SECRET, "does not match"),  # another site's secret
        (str(int(TS) + 1), sign_events(SECRET, TS, BODY), BODY, SECRET, "does not match"),  # a new timestamp
        (TS, sign_events(SECRET, TS, BODY).removeprefix("v1="), BODY, SECRET, "does not match"),  # no version
        (TS, "v1=zzé", BODY, SECRET, "does not match"),
        (TS, sign_events(SECRET, TS, BODY), BODY, None, "does not match"),  # a key no site has
        (None, sign_events(SECRET, TS, BODY), BODY, SECRET, "Mend-Signature headers"),
        (TS, None, BODY, SECRET, "Mend-Signature headers"),
        ("", "", BODY, SECRET, "Mend-Signature headers"),
        ("1.7e9", sign_events(SECRET, "1.7e9", BODY), BODY, SECRET, "Unix seconds"),
        ("９９", sign_events(SECRET, "９９", BODY), BODY, SECRET, "Unix seconds"),  # digits, but not ASCII ones
        ("9" * 40, sign_events(SECRET, "9" * 40, BODY), BODY, SECRET, "Unix seconds"),
    ],
)
def test_anything_but_the_sites_fresh_signature_over_this_body_is_refused(timestamp, signature, body, secret, message):
    with pytest.raises(Unauthenticated, match=message):
        check_signature(secret, timestamp=timestamp, signature=signature, body=body, now=NOW)


def test_an_unknown_key_is_refused_in_the_words_of_a_wrong_signature():
    with pytest.raises(Unauthenticated) as unknown:
        check_signature(None, timestamp=TS, signature=sign_events(SECRET, TS, BODY), body=BODY, now=NOW)
    with pytest.raises(Unauthenticated) as wrong:
        check_signature(SECRET, timestamp=TS, signature=sign_events("t" * 64, TS, BODY), body=BODY, now=NOW)
    assert str(unknown.value) == str(wrong.value)


# ---- batches --------------------------------------------------------------------------------------


def test_a_valid_batch_becomes_typed_events_in_utc_keyed_like_verified_reports():
    events = parse_batch(
        batch(
            event(),
            event(id=" evt-2 ", customer_id=" 42 ", type="cancellation", at="2026-02-28T11:30:00+02:00"),
        ),
        NOW,
    )
    assert events == [
        Event("evt-1", "id:42", "order", datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        Event("evt-2", "id:42", "cancellation", datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
    ]


def test_every_type_is_taken_and_an_empty_batch_is_valid():
    types = ["order", "visit", "renewal", "cancellation"]
    assert [e.type for e in parse_batch(batch(*(event(id=t, type=t) for t in types)), NOW)] == types
    assert parse_batch(batch(), NOW) == []


def test_a_repeated_id_is_kept_in_the_batch_for_the_database_to_store_once():
    assert len(parse_batch(batch(event(), event()), NOW)) == 2


def test_a_thousand_events_are_taken_and_one_more_is_refused():
    assert len(parse_batch(batch(*(event(id=f"e{n}") for n in range(MAX_EVENTS))), NOW)) == MAX_EVENTS
    with pytest.raises(BadBatch, match="at most 1,000 events; this one has 1,001"):
        parse_batch(batch(*(event(id=f"e{n}") for n in range(MAX_EVENTS + 1))), NOW)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'[{"id": "e1"}]', "list of events"),
        (b'{"events": {"id": "e1"}}', "list of events"),
        (b'{"event": []}', "list of events"),
    ],
)
def test_a_body_that_is_no_batch_is_refused(body, message):
    with pytest.raises(BadBatch, match=message):
        parse_batch(body, NOW)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"id": ""}, "id", "must not be empty"),
        ({"id": "   "}, "id", "must not be empty"),
        ({"id": 7}, "id", "must be a string"),
        ({"id": "x" * 101}, "id", "at most 100 characters"),
        ({"id": "a\nb"}, "id", "on one line"),
        ({"id": "a\x00b"}, "id", "control characters"),
        ({"customer_id": None}, "customer_id", "must be a string"),
        ({"customer_id": 42}, "customer_id", "must be a string"),
        ({"customer_id": "c" * 201}, "customer_id", "at most 200 characters"),
        ({"type": "purchase"}, "type", "order, visit, renewal, cancellation"),
        ({"type": None}, "type", "must be one of"),
        ({"at": "2026-02-28T09:30:00"}, "at", "time zone offset"),  # naive: in whose time?
        ({"at": "2026-02-28"}, "at", "time zone offset"),
        ({"at": "yesterday"}, "at", "ISO 8601"),
        ({"at": 1767225600}, "at", "ISO 8601"),
        ({"at": "1999-12-31T23:59:59Z"}, "at", "before 2000"),
        ({"at": "2026-03-01T12:05:01Z"}, "at", "in the future"),
        ({"at": "9999-12-31T23:59:59-01:00"}, "at", "in the future"),  # past what a datetime holds in UTC
        ({"at": "0001-01-01T00:00:00+01:00"}, "at", "before 2000"),
    ],
)
def test_a_bad_event_refuses_the_batch_naming_its_index_id_and_field(fields, field, message):
    with pytest.raises(BadBatch) as refused:
        parse_batch(batch(event(id="ok-1"), event(id="ok-2"), event(**{"id": "bad", **fields})), NOW)
    (problem,) = refused.value.problems
    assert (problem.index, problem.field) == (2, field)
    assert message in problem.message
    assert "Nothing was stored: events[2]" in refused.value.message
    assert f"bad {field}" in refused.value.message


def test_the_answer_quotes_the_id_of_the_bad_event():
    with pytest.raises(BadBatch) as refused:
        parse_batch(batch(event(id="ord-1"), event(id="ord-2", type="refund")), NOW)
    assert refused.value.problems[0].id == "ord-2"
    assert "events[1] (id 'ord-2') has a bad type" in refused.value.message


def test_five_minutes_ahead_of_our_clock_is_still_now():
    assert parse_batch(batch(event(at="2026-03-01T12:05:00Z")), NOW)[0].at == NOW + timedelta(minutes=5)


def test_an_event_that_is_not_an_object_is_named():
    with pytest.raises(BadBatch) as refused:
        parse_batch(b'{"events": [["e1", "42", "order"]]}', NOW)
    assert (refused.value.problems[0].index, refused.value.problems[0].field) == (0, "event")


def test_every_bad_event_is_listed_up_to_a_bound_and_counted():
    with pytest.raises(BadBatch) as refused:
        parse_batch(batch(*(event(id=f"e{n}", type="nope") for n in range(SHOWN_ERRORS + 10))), NOW)
    assert len(refused.value.problems) == SHOWN_ERRORS
    assert [p.index for p in refused.value.problems[:3]] == [0, 1, 2]
    assert f"{SHOWN_ERRORS + 10} events in all need fixing" in refused.value.message
