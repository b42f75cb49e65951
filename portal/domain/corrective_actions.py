"""Corrective actions (CAs): the states from a reported pattern to a verified fix, and what each state needs.

Fixing one customer's problem is recovery; a CA makes sure it does not happen to anyone again.
A state can be reached (even skipping ahead) only once everything it and the states before it
need is written down, so nobody plans a fix without a root cause or closes one without saying
what changed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from portal.i18n import N_, format_moment
from portal.i18n import gettext as _

FLOW = ("open", "investigating", "action_planned", "implemented", "verifying", "closed")
STATES = (*FLOW, "reopened")
STATE_LABELS = {
    "open": N_("Open"),
    "investigating": N_("Investigating"),
    "action_planned": N_("Action planned"),
    "implemented": N_("Implemented"),
    "verifying": N_("Verifying"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened"),
}
SEVERITIES = (N_("low"), N_("medium"), N_("high"), N_("critical"))  # also the values in forms and exports
DEFAULT_VERIFICATION_DAYS = 14
MAX_WHYS = 5

# What each state needs before a CA may be in it (fields of CAFields, with what to say when missing).
NEEDS: dict[str, list[tuple[str, str]]] = {
    "investigating": [("problem", N_("a problem statement")), ("owner_id", N_("an owner"))],
    "action_planned": [
        ("root_cause", N_("a root cause (answer at least one “why?”)")),
        ("corrective_action", N_("the corrective action")),
    ],
    "implemented": [("preventive_action", N_("the preventive action"))],
    "verifying": [],
    "closed": [("closure_summary", N_("a customer-facing closure summary"))],
}


class CATransitionError(ValueError):
    """A move the CA's state or its missing fields do not allow; the message says what to do."""


@dataclass(frozen=True)
class CAFields:
    """What the rules need to know about a CA."""

    state: str
    problem: str = ""
    owner_id: int | None = None
    whys: tuple[str, ...] = ()
    corrective_action: str = ""
    preventive_action: str = ""
    closure_summary: str = ""
    verification_ends_at: datetime | None = None

    @property
    def root_cause(self) -> str:
        """The last answer in the why-chain is the root cause."""
        return self.whys[-1] if self.whys else ""


def _missing(target: str, ca: CAFields) -> list[tuple[str, str]]:
    """The needs of every flow state up to `target` that the CA does not meet yet: (field, what) pairs."""
    reach = FLOW[: FLOW.index(target) + 1] if target in FLOW else ()
    return [
        (name, what)
        for state in reach
        for name, what in NEEDS.get(state, [])
        if not str(getattr(ca, name) or "").strip()
    ]


def missing_for(target: str, ca: CAFields) -> list[str]:
    """What is missing for the CA to be in `target`, in words."""
    return [_(what) for _name, what in _missing(target, ca)]


def missing_fields(target: str, ca: CAFields) -> list[str]:
    """The fields a move to `target` still needs (`root_cause` stands for the why-chain): what its form asks for."""
    return [name for name, _what in _missing(target, ca)]


def early_close_needs_reason(ca: CAFields, target: str, now: datetime) -> bool:
    """Closing while the verification window still runs needs a recorded reason."""
    return target == "closed" and ca.verification_ends_at is not None and now < ca.verification_ends_at


def next_states(state: str) -> list[str]:
    """Where staff may move a CA from `state` (verifying and reopening are the worker's and the rules' own steps too)."""
    if state == "closed":
        return []
    if state == "verifying":
        return ["closed", "reopened"]
    if state == "reopened":
        return ["investigating", "action_planned", "implemented"]
    position = FLOW.index(state)
    return [s for s in FLOW[position + 1 :] if s not in ("verifying", "closed")]


def check_transition(ca: CAFields, target: str, *, now: datetime, early_close_reason: str = "") -> None:
    """Raise CATransitionError unless the CA may move to `target` now."""
    if target not in STATES:
        raise CATransitionError(_("Pick one of the listed states."))
    if target not in next_states(ca.state):
        raise CATransitionError(
            _(
                "A CA that is “%(current)s” cannot move to “%(target)s”.",
                current=_(STATE_LABELS[ca.state]),
                target=_(STATE_LABELS[target]),
            )
        )
    missing = missing_for(target, ca)
    if missing:
        raise CATransitionError(
            _("Before “%(state)s”, add %(missing)s.", state=_(STATE_LABELS[target]), missing=", ".join(missing))
        )
    if early_close_needs_reason(ca, target, now) and not early_close_reason.strip():
        raise CATransitionError(
            _(
                "The verification window runs until %(until)s UTC. Closing before then needs a reason, which is recorded.",
                until=format_moment(ca.verification_ends_at, None, "short"),
            )
        )


def parse_whys(values: list[str] | str | None) -> tuple[str, ...]:
    """The why-chain from a form: up to five answers, blanks dropped, in order."""
    answers = [values] if isinstance(values, str) else list(values or [])
    return tuple(" ".join(a.split())[:500] for a in answers if a and a.strip())[:MAX_WHYS]


@dataclass(frozen=True)
class CAForm:
    """A validated CA edit from a lead's form."""

    title: str
    problem: str
    category: str | None
    severity: str
    within_control: bool | None
    owner_id: int | None
    due_on: date | None
    containment: str
    whys: tuple[str, ...]
    corrective_action: str
    preventive_action: str
    verification_days: int
    closure_summary: str
    public: bool
    public_wording: str
    page_pattern: str
    errors: dict[str, str] = field(default_factory=dict)


def _text(form: Mapping[str, object], key: str, limit: int, errors: dict[str, str], too_long: str) -> str:
    """A text field; `too_long` (N_-marked, with `%(limit)s`) is the error when it is longer than `limit`."""
    value = str(form.get(key) or "").strip()
    if len(value) > limit:
        errors[key] = _(too_long, limit=limit)
    return value


# The long text fields a move may need: their limit and what to say when longer.
_NEEDED_TEXTS = {
    "problem": (4000, N_("The problem statement can be at most %(limit)s characters.")),
    "corrective_action": (4000, N_("The corrective action can be at most %(limit)s characters.")),
    "preventive_action": (4000, N_("The preventive action can be at most %(limit)s characters.")),
    "closure_summary": (2000, N_("The closure summary can be at most %(limit)s characters.")),
}


def _needed_text(form: Mapping[str, object], key: str, errors: dict[str, str]) -> str:
    limit, too_long = _NEEDED_TEXTS[key]
    return _text(form, key, limit, errors, too_long)


def _owner(form: Mapping[str, object], owner_ids: set[int], errors: dict[str, str]) -> int | None:
    owner = str(form.get("owner_id") or "")
    owner_id = int(owner) if owner.isdigit() else None
    if owner and owner_id not in owner_ids:
        errors["owner_id"] = _("The owner must be a lead or admin of this site.")
    return owner_id


def move_edits(form: Mapping[str, object], owner_ids: set[int]) -> tuple[dict[str, object], dict[str, str]]:
    """What a move's form filled in of the fields its target needs, checked as `validate_ca` checks them,
    with the errors. Blank fields are left out: a move fills in what is missing and never clears a field."""
    errors: dict[str, str] = {}
    edits: dict[str, object] = {key: _needed_text(form, key, errors) for key in _NEEDED_TEXTS}
    edits["owner_id"] = _owner(form, owner_ids, errors)
    raw_whys = form.get("whys")
    edits["whys"] = list(parse_whys(raw_whys if isinstance(raw_whys, (list, str)) else None))
    return {key: value for key, value in edits.items() if value}, errors


TITLE_LENGTH = 80  # a suggested title names the failure on a board card; the full words go in the problem


def title_from_report(category: str, description: str) -> str:
    """A CA's suggested title: the category and the customer's first sentence, or their first words cut
    at a word boundary when that is too long."""
    words = " ".join(description.split())
    title = f"{category}: {words}" if words else category
    if len(title) <= TITLE_LENGTH:
        return title
    sentence = re.match(r".+?[.!?](?=\s)", title[len(category) + 2 :])
    if sentence and len(category) + 2 + sentence.end() <= TITLE_LENGTH:
        return f"{category}: {sentence.group()}"
    cut = title[:TITLE_LENGTH]
    head, _space, _rest = cut.rpartition(" ")
    return (head if len(head) > len(category) + 1 else cut).rstrip(" ,.;:-") + "…"


def problem_from_reports(reports: Sequence[tuple[str, str]]) -> str:
    """A CA's first problem statement: each customer's words, quoted in full with the report's reference,
    as many as fit the statement's limit. `reports` are (reference, description) pairs."""
    limit = _NEEDED_TEXTS["problem"][0]
    lines: list[str] = []
    for ref, description in reports:
        words = " ".join(description.split())
        line = _("“%(words)s” (report %(ref)s)", words=words, ref=ref) if words else ""
        if line and len("\n".join([*lines, line])) <= limit:
            lines.append(line)
    return "\n".join(lines)


def validate_ca(form: Mapping[str, object], categories: list[str], owner_ids: set[int]) -> CAForm:
    """Check a CA form field by field; the result carries `errors` (empty when it can be saved)."""
    errors: dict[str, str] = {}
    title = " ".join(str(form.get("title") or "").split())
    if not title or len(title) > 200:
        errors["title"] = _("Give the CA a title of at most 200 characters.")
    category = str(form.get("category") or "") or None
    if category and category not in categories:
        errors["category"] = _("Pick one of the site's categories.")
    severity = str(form.get("severity") or "medium")
    if severity not in SEVERITIES:
        errors["severity"] = _("Pick low, medium, high or critical.")
    control = {"yes": True, "no": False}.get(str(form.get("within_control") or ""))
    owner_id = _owner(form, owner_ids, errors)
    due_on = None
    if form.get("due_on"):
        try:
            due_on = date.fromisoformat(str(form["due_on"]))
        except ValueError:
            errors["due_on"] = _("Give the due date as YYYY-MM-DD.")
    days = str(form.get("verification_days") or DEFAULT_VERIFICATION_DAYS)
    if not days.isdigit() or not 1 <= int(days) <= 365:
        errors["verification_days"] = _("The verification window is a number of days from 1 to 365.")
    pattern = _text(form, "page_pattern", 300, errors, N_("The page pattern can be at most %(limit)s characters."))
    if pattern and not pattern.startswith("/"):
        errors["page_pattern"] = _("The page pattern is a path such as /checkout/* (it starts with /).")
    public = bool(form.get("public"))
    public_wording = _text(
        form, "public_wording", 500, errors, N_("The public wording can be at most %(limit)s characters.")
    )
    if public and not public_wording:
        errors["public_wording"] = _("A known issue needs the public wording customers will see.")
    raw_whys = form.get("whys")
    return CAForm(
        title=title,
        problem=_needed_text(form, "problem", errors),
        category=category,
        severity=severity,
        within_control=control,
        owner_id=owner_id,
        due_on=due_on,
        containment=_text(form, "containment", 4000, errors, N_("Containment can be at most %(limit)s characters.")),
        whys=parse_whys(raw_whys if isinstance(raw_whys, (list, str)) else None),
        corrective_action=_needed_text(form, "corrective_action", errors),
        preventive_action=_needed_text(form, "preventive_action", errors),
        verification_days=int(days) if days.isdigit() else DEFAULT_VERIFICATION_DAYS,
        closure_summary=_needed_text(form, "closure_summary", errors),
        public=public,
        public_wording=public_wording,
        page_pattern=pattern,
        errors=errors,
    )


def page_matches(pattern: str | None, page_url: str | None) -> bool:
    """Does a known issue's page pattern (a path glob such as /checkout/*) cover this page? No pattern covers every page."""
    if not pattern:
        return True
    if not page_url:
        return False
    return fnmatch.fnmatchcase(urlsplit(page_url).path or "/", pattern)
