"""Database tables."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# BIGINT autoincrement is INTEGER PRIMARY KEY (rowid) on SQLite only when spelled INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


M = TypeVar("M", bound=Base)


def read_only_copy(cls: type[M], values: Mapping[str, Any]) -> M:
    """An instance holding `values` for templates and payloads to read, built as the ORM builds the rows it
    loads (no event per attribute): for a row written with Core. Never add it to a session."""
    instance: M = cls.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


# Sorts after every real due time: reports whose clocks have stopped go last.
NO_CLOCK = datetime(9999, 12, 31, tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _now_default() -> Any:
    return mapped_column(DateTimeUTC(timezone=True), default=utcnow, server_default=func.now(), nullable=False)


class Site(Base):
    """A company site that embeds the widget."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(128))
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    no_blame_text: Mapped[str | None] = mapped_column(Text)
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_role: Mapped[str] = mapped_column(String(120))
    repeat_window_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    first_response_minutes: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    recovery_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    follow_up_hours: Mapped[int] = mapped_column(
        Integer, default=4, server_default="4"
    )  # a lead's personal follow-up at risk
    gesture_budgets: Mapped[dict[str, list[int]] | None] = mapped_column(JSON)  # None: the defaults
    # Languages the widget speaks here; the site's own texts are written in the default one and
    # translated into the others in `translations` ({lang: {"no_blame_text": ...}}).
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    default_language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # Reports accepted per minute from everyone together; past it intake answers 429 and admins hear of the flood.
    max_reports_per_minute: Mapped[int] = mapped_column(Integer, default=120, server_default="120")
    # "Did we make it right?": one reminder this many days after the wrap-up asked (0: none), and
    # scores up to `poor_rating_max` reopen the report.
    rating_reminder_days: Mapped[int] = mapped_column(SmallInteger, default=3, server_default="3")
    poor_rating_max: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    # A customer with no activity on the host for this many days has gone silent (the churn check).
    silent_after_days: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    # What customers told us is anonymised this many months after their report (the counts stay).
    retention_months: Mapped[int] = mapped_column(SmallInteger, default=18, server_default="18")
    privacy_url: Mapped[str | None] = mapped_column(Text)  # the site's own privacy notice, linked from the panel
    # Bumped by every change to the site, its gestures or its templates (portal/changes.py): each
    # process's intake cache compares it to tell that its copy is stale.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = _now_default()


class Staff(Base):
    """A person who works the queue."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # gets the clock alerts
    language: Mapped[str | None] = mapped_column(String(10))  # the portal's language; None: the browser's
    created_at: Mapped[datetime] = _now_default()

    sites: Mapped[list[Site]] = relationship(secondary="staff_site", lazy="selectin")


class StaffSession(Base):
    """A signed-in browser: its cookie carries the id, signing out deletes the row, so a copied cookie dies with it."""

    __tablename__ = "staff_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the id; the id is only in the cookie
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))  # pushed back while the browser is in use
    created_at: Mapped[datetime] = _now_default()


class Invite(Base):
    """An emailed invitation to join as staff; only a hash of its token is kept."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    site_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()


class RateCounter(Base):
    """Hits on one rate limit (an address at a site, an account from an address...) in its current window."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    window_ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class SiteFlood(Base):
    """Reports a site's ceiling refused since the flood began; its admins are mailed once it is over."""

    __tablename__ = "site_flood"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_refused_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    refused: Mapped[int] = mapped_column(Integer)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)  # the next refusal starts a new flood


class StaffSite(Base):
    """Which sites a staff member works for."""

    __tablename__ = "staff_site"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)


class Report(Base):
    """One microfailure told by a customer, with the context captured around it."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_site_created", "site_id", "created_at"),
        Index("ix_report_site_client_created", "site_id", "client_hash", "created_at"),
        Index("ix_report_created_id", "created_at", "id"),
        Index("ix_report_site_customer_created", "site_id", "customer_key", "created_at"),
        Index("ix_report_site_rating_asked", "site_id", "rating_asked_at"),
        Index("ix_report_rating_asked", "rating_asked_at"),
        Index("ix_report_site_anonymised_created", "site_id", "anonymised_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    status_token: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str | None] = mapped_column(Text)

    customer_name: Mapped[str | None] = mapped_column(String(120))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_external_id: Mapped[str | None] = mapped_column(String(200))
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_key: Mapped[str | None] = mapped_column(String(400))
    repeat_level: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    customer_tier: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    offered_gesture_ids: Mapped[list[int] | None] = mapped_column(JSON)  # what the customer may pick from

    apology_text: Mapped[str] = mapped_column(Text)
    apology_signed_by: Mapped[str] = mapped_column(String(250))

    page_url: Mapped[str | None] = mapped_column(Text)
    page_path: Mapped[str | None] = mapped_column(String(300))  # the page with ids folded (/orders/:id), for trends
    referrer: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    viewport: Mapped[str | None] = mapped_column(String(20))
    lang: Mapped[str | None] = mapped_column(String(35))
    location: Mapped[str | None] = mapped_column(String(200))
    busy: Mapped[int | None] = mapped_column(SmallInteger)
    tz_offset_min: Mapped[int | None] = mapped_column(SmallInteger)
    customer_local_at: Mapped[datetime | None] = mapped_column()
    local_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    local_hour: Mapped[int | None] = mapped_column(SmallInteger)
    site_reports_last_hour: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # queue urgency until recovered
    # The clocks: due times fixed at intake from the site's targets; NULL on reports from before clocks.
    first_response_due_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True)
    recovery_due_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    recovered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # The due time of the clock still running (NO_CLOCK once recovered): the queue sorts on it.
    next_due_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=lambda: NO_CLOCK)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    ca_id: Mapped[int | None] = mapped_column(ForeignKey("corrective_action.id", ondelete="SET NULL"), index=True)
    # Each alert and each breach is recorded once.
    first_response_warned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recovery_warned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recovery_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    client_hash: Mapped[str] = mapped_column(String(64))
    # When the wrap-up asked "Did we make it right?", and when the one reminder went (each at most once).
    rating_asked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    rating_reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # When what the customer told us was removed (retention or erasure); the report still counts.
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[Staff | None] = relationship(lazy="joined")


class OutboxMail(Base):
    """A mail waiting to be sent, being sent, sent, or given up on (dead letter)."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"), index=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(250))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str | None] = mapped_column(String(12))
    unsubscribe_url: Mapped[str | None] = mapped_column(Text)  # sent as List-Unsubscribe
    # The kind of a customer mail about report_id that the worker writes from the report when it sends it
    # (intake queues apologies so, to spend no time on templates); None once written, and for the rest.
    write_as: Mapped[str | None] = mapped_column(String(20))
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()


class ApologyTemplate(Base):
    """A site's own apology wording for a category (or all categories); used only once published."""

    __tablename__ = "apology_template"
    __table_args__ = (Index("ix_apology_template_site_category", "site_id", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(40))  # None: any category without its own
    lang: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    body: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _now_default()


class CustomerNote(Base):
    """A staff note on a customer's file (internal: the customer never sees it)."""

    __tablename__ = "customer_note"
    __table_args__ = (Index("ix_customer_note_site_customer", "site_id", "customer_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    customer_key: Mapped[str] = mapped_column(String(400))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class ReportEvent(Base):
    """One entry on a report's timeline: a state change, an update to the customer, or their reply."""

    __tablename__ = "report_event"
    __table_args__ = (Index("ix_report_event_report", "report_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # state, update, reply, breach
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    body: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    override_reason: Mapped[str | None] = mapped_column(Text)  # why a flagged update was sent anyway
    # A rating entry: the answer as given then (the Rating row keeps only the latest).
    score: Mapped[int | None] = mapped_column(SmallInteger)
    surprised: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class Gesture(Base):
    """A small non-monetary gesture in a site's catalog."""

    __tablename__ = "gesture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    tier: Mapped[int] = mapped_column(SmallInteger)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: fits every category
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    monthly_cap: Mapped[int | None] = mapped_column(Integer)
    fulfilment: Mapped[str] = mapped_column(String(10))  # task or code
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _now_default()


class GestureCode(Base):
    """A single-use code an admin uploaded for an automatic gesture; taken by at most one grant."""

    __tablename__ = "gesture_code"
    __table_args__ = (
        Index("ix_gesture_code_free", "gesture_id", "grant_id"),
        UniqueConstraint("gesture_id", "code", name="uq_gesture_code_gesture_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gesture_id: Mapped[int] = mapped_column(ForeignKey("gesture.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(200))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("gesture_grant.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now_default()


class GestureGrant(Base):
    """A gesture given on a report: the customer's own choice (or their no-thanks, or their words), or a staff grant."""

    __tablename__ = "gesture_grant"
    __table_args__ = (
        Index("ix_gesture_grant_gesture_created", "gesture_id", "created_at"),
        Index("ix_gesture_grant_staff_created", "granted_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # Set to the report's id for the customer's own choice only: one choice per report, even when two requests race.
    customer_choice_for: Mapped[int | None] = mapped_column(BigId, unique=True)
    choice: Mapped[str] = mapped_column(String(10))  # gesture, declined, wish
    gesture_id: Mapped[int | None] = mapped_column(ForeignKey("gesture.id", ondelete="SET NULL"))
    gesture_name: Mapped[str | None] = mapped_column(String(120))  # as it was called when chosen
    tier: Mapped[int | None] = mapped_column(SmallInteger)
    wish: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(200))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now_default()

    granted_by: Mapped[Staff | None] = relationship(lazy="joined")


class Task(Base):
    """Something a person must do by a deadline: fulfil a gesture, or follow up personally with an at-risk customer."""

    __tablename__ = "task"
    __table_args__ = (Index("ix_task_site_open_due", "site_id", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("gesture_grant.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # gesture, follow_up
    title: Mapped[str] = mapped_column(String(300))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    due_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _now_default()

    assignee: Mapped[Staff | None] = relationship(lazy="joined", foreign_keys=[assignee_id])
    report: Mapped[Report] = relationship(lazy="joined", innerjoin=True)


class CustomerProfile(Base):
    """What staff set on a customer's file: their tier (it wins over the host's)."""

    __tablename__ = "customer_profile"
    __table_args__ = (UniqueConstraint("site_id", "customer_key", name="uq_customer_profile_site_customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    customer_key: Mapped[str] = mapped_column(String(400))
    tier: Mapped[int] = mapped_column(SmallInteger)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = _now_default()


class CorrectiveAction(Base):
    """A corrective action: from a pattern of reports to a root cause, a fix, prevention and a verified closure."""

    __tablename__ = "corrective_action"
    __table_args__ = (Index("ix_corrective_action_site_state", "site_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default="open")
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    within_control: Mapped[bool | None] = mapped_column(Boolean)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    containment: Mapped[str] = mapped_column(Text, default="")
    whys: Mapped[list[str]] = mapped_column(JSON, default=list)  # the why-chain; the last answer is the root cause
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    preventive_action: Mapped[str] = mapped_column(Text, default="")
    verification_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    verification_started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    verification_ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    verified_through: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True)
    )  # reports up to here were checked
    closure_summary: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # A known issue, acknowledged publicly in the widget until the CA closes.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    public_wording: Mapped[str] = mapped_column(Text, default="")
    page_pattern: Mapped[str] = mapped_column(String(300), default="")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = _now_default()

    owner: Mapped[Staff | None] = relationship(lazy="joined", foreign_keys=[owner_id])
    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)


class CAEvent(Base):
    """One entry on a CA's timeline: a state change, a link, a suggestion accepted, a recurrence."""

    __tablename__ = "ca_event"
    __table_args__ = (Index("ix_ca_event_ca", "ca_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ca_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # state, link, unlink, suggestion, recurrence, edit
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class CASuggestion(Base):
    """An idea for preventing the failure, from a customer's report or from staff in the field."""

    __tablename__ = "ca_suggestion"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ca_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # customer or staff
    body: Mapped[str] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class MeToo(Base):
    """A customer who met a known issue and asked to be told when it is fixed."""

    __tablename__ = "me_too"
    __table_args__ = (UniqueConstraint("ca_id", "email", name="uq_me_too_ca_email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ca_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # to slow down floods, as on intake
    lang: Mapped[str] = mapped_column(String(10), default="en", server_default="en")  # of the closure mail
    created_at: Mapped[datetime] = _now_default()


class Unsubscribe(Base):
    """An address that asked for no more closure mail from a site."""

    __tablename__ = "unsubscribe"
    __table_args__ = (UniqueConstraint("site_id", "email", name="uq_unsubscribe_site_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = _now_default()


class MonthlyResult(Base):
    """A site's results for one month, built once by whichever worker gets there first."""

    __tablename__ = "monthly_result"
    __table_args__ = (UniqueConstraint("site_id", "month", name="uq_monthly_result_site_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    share_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # a read-only link, until revoked
    created_at: Mapped[datetime] = _now_default()

    site: Mapped[Site] = relationship(lazy="joined", innerjoin=True)


class ReportRollup(Base):
    """Report counts per site, day and value of one dimension, for days the worker has rolled up (trends read these)."""

    __tablename__ = "report_rollup"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dim: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class Rating(Base):
    """A customer's answer to "Did we make it right?" on one report: theirs to change for 7 days, then final."""

    __tablename__ = "rating"
    __table_args__ = (Index("ix_rating_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(SmallInteger)  # 1 (not at all) to 5 (completely)
    surprised: Mapped[str | None] = mapped_column(String(8))  # yes, little, no; None: not answered
    comment: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    # How the report's clocks went before the customer answered: a poor answer reopens the report and
    # restarts them, and the figures must still compare the first recovery.
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recovery_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = _now_default()  # the first answer: the 7 days to change it run from here
    updated_at: Mapped[datetime] = _now_default()

    agent: Mapped[Staff | None] = relationship(lazy="joined")


class CustomerEvent(Base):
    """What a customer did on the host afterwards (an order, a visit, a renewal, a cancellation), as the host told us."""

    __tablename__ = "customer_event"
    __table_args__ = (
        UniqueConstraint("site_id", "event_id", name="uq_customer_event_site_event"),
        Index("ix_customer_event_site_customer_at", "site_id", "customer_key", "at"),
        # Covers the loyalty baseline's scans of a site's activity by time.
        Index("ix_customer_event_site_at", "site_id", "at", "customer_key", "type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(100))  # the host's id: sending it again changes nothing
    customer_key: Mapped[str] = mapped_column(String(400))  # "id:<customer_id>", as on verified reports
    type: Mapped[str] = mapped_column(String(12))  # order, visit, renewal, cancellation
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()


class InsightRollup(Base):
    """A site's heavy figures (loyalty after recovery, the churn check), computed by the worker for pages to read."""

    __tablename__ = "insight_rollup"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class ApiToken(Base):
    """A staff member's personal API token: it acts as its owner within its scopes; only a hash is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token, which is shown once
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it in lists
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True)


class WebhookEndpoint(Base):
    """Where a site's events go: a signed webhook, or a Slack, Microsoft Teams or Mattermost channel."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # webhook, slack, teams, mattermost
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str | None] = mapped_column(String(100))  # whsec_<base64>, webhooks only
    description: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    failing_since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))  # first failure in a row
    disabled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))  # off after a day of failures
    created_at: Mapped[datetime] = _now_default()


class WebhookDelivery(Base):
    """One event on its way to one endpoint, written in the transaction of the change; retried like mail."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))  # webhook-id: the same on every retry of this event
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status; None: no answer
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)  # an excerpt of the answer, or why there was none
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined", innerjoin=True)


class PrivacyAudit(Base):
    """Every export and erasure of a customer's data (and each retention pass): who, when, why. It names the
    customer only by a keyed hash, so the trail itself holds nothing erased."""

    __tablename__ = "privacy_audit"
    __table_args__ = (Index("ix_privacy_audit_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(12))  # export, erase, retention
    actor: Mapped[str] = mapped_column(String(10))  # staff, customer, worker, api
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    customer_hash: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the customer key
    reason: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # what was exported or removed, by kind
    created_at: Mapped[datetime] = _now_default()

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class ErasureRequest(Base):
    """A customer's "forget me", waiting for them to confirm it from the link mailed to the address on file."""

    __tablename__ = "erasure_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the mailed token
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_at: Mapped[datetime] = _now_default()


class RollupState(Base):
    """How far the rollups go: every report created before `rolled_until` (a UTC midnight) is counted there."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_until: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


# The queue's order (at risk first, then the nearest clock) as one index, directions included:
# a btree cannot serve mixed directions unless it was built with them.
Index("ix_report_queue_order", Report.priority.desc(), Report.next_due_at, Report.id)
