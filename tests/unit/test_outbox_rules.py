from datetime import timedelta
from email import message_from_bytes
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.policy import default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.progress import progress_steps
from portal.models import OutboxMail
from portal.outbox import MAX_BACKOFF, backoff_delay, build_message
from portal.settings import DEV_SECRET, Settings, SettingsError


def mail(**overrides: object) -> OutboxMail:
    values: dict[str, object] = {
        "to_addr": "zoe@example.com",
        "to_name": "Zoë Ünal",
        "subject": "Northwind: about what you told us",
        "text_body": "Hello Zoë",
        "html_body": "<p>Hello Zoë</p>",
        "message_id": "<abc@mend.example>",
    }
    values.update(overrides)
    return OutboxMail(**values)


def test_backoff_doubles_and_is_capped():
    assert [backoff_delay(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_delay(40, 30) == MAX_BACKOFF


def parsed(raw: bytes) -> EmailMessage:
    """The message as a mail client reads it."""
    return message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def test_message_is_multipart_with_encoded_names_and_stable_message_id():
    message = parsed(build_message(mail(), "Mend Care <care@mend.example>"))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    raw = build_message(mail(), "Mend Care <care@mend.example>")
    assert raw.isascii()
    assert b"=?utf-8?" in raw  # non-ASCII display name is RFC 2047 encoded
    assert message["Message-ID"] == "<abc@mend.example>"
    assert message["Date"]


@pytest.mark.parametrize("field", ["to_name", "subject"])
def test_header_injection_is_impossible(field):
    with pytest.raises((ValueError, HeaderParseError)):
        build_message(mail(**{field: "Zoë\r\nBcc: victim@example.com"}), "care@mend.example")


def test_status_steps_follow_the_report_state():
    assert [s.done for s in progress_steps("new")] == [True, False, False, False]
    in_progress = progress_steps("in_progress")
    assert [s.done for s in in_progress] == [True, True, False, False]
    assert [s.current for s in in_progress] == [False, True, False, False]
    assert all(s.done for s in progress_steps("closed"))


def test_default_secret_is_refused_outside_development():
    with pytest.raises(SettingsError):
        Settings.from_env({"PORTAL_ENV": "production"})
    assert Settings.from_env({}).secret_key == DEV_SECRET
    ok = Settings.from_env(
        {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "s" * 32, "PORTAL_BASE_URL": "https://mend.example/"}
    )
    assert ok.base_url == "https://mend.example"
    assert ok.cookie_secure
    assert timedelta(seconds=ok.mail_backoff_seconds) > timedelta(0)


header_text = st.text(st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=80)
body_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    max_size=300,
)


def words(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=60, deadline=None)
@given(name=header_text, subject=header_text, text_body=body_text, html_body=body_text)
def test_a_mail_client_reads_back_exactly_what_was_queued(name, subject, text_body, html_body):
    raw = build_message(
        mail(to_name=name, subject=subject, text_body=text_body, html_body=html_body), "Mend Care <care@mend.example>"
    )
    assert raw.isascii()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = parsed(raw)
    [to] = message["To"].addresses
    # Python's parser puts a space between the encoded words of a long name (mail clients join them).
    assert ("".join(to.display_name.split()), to.addr_spec) == ("".join(name.split()), "zoe@example.com")
    assert words(message["Subject"]) == words(subject)
    assert message["From"].addresses[0].display_name == "Mend Care"
    # Lines end in CRLF on the wire; any line ending given comes out as one.
    text, html = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())
    assert text == text_body.replace("\r\n", "\n").replace("\r", "\n")
    assert html == html_body.replace("\r\n", "\n").replace("\r", "\n")


def test_one_click_unsubscribe_headers_only_when_the_mail_has_a_link():
    message = parsed(build_message(mail(unsubscribe_url="https://mend.example/u/abc"), "care@mend.example"))
    assert message["List-Unsubscribe"] == "<https://mend.example/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in parsed(build_message(mail(), "care@mend.example"))
