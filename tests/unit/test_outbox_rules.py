from datetime import timedelta
from email.errors import HeaderParseError

import pytest

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


def test_message_is_multipart_with_encoded_names_and_stable_message_id():
    message = build_message(mail(), "Mend Care <care@mend.example>")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    raw = message.as_bytes()
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
