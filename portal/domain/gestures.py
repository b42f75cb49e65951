"""Small non-monetary gestures: what a site may offer, which ones a customer is offered, and who may grant what.

Asking rather than assuming is the point: the customer picks from two or three relevant gestures,
declines, or says in their own words what would make it right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from portal.domain.repeat import RepeatLevel
from portal.i18n import N_
from portal.i18n import gettext as _

# How people see each tier, lowest first; the English word is also the tier's value in forms and signatures.
TIER_LABELS = (N_("standard"), N_("elevated"), N_("premium"))


class Tier(IntEnum):
    """How much a gesture is worth to the customer, and how valued a customer is (same ladder)."""

    STANDARD = 1
    ELEVATED = 2
    PREMIUM = 3

    @property
    def label(self) -> str:
        """How people see the tier (in English: translate it where it is shown)."""
        return TIER_LABELS[self.value - 1]

    @classmethod
    def parse(cls, value: str | int | None) -> Tier | None:
        """A tier from its name or number; None when it is neither."""
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return cls(int(value)) if int(value) in cls._value2member_map_ else None
        return cls.__members__.get(str(value or "").strip().upper())


FULFILMENTS = {
    "task": N_("A person does it (a task with a 24-hour deadline)"),
    "code": N_("Automatic: a single-use code from a pool"),
}
OFFER_LIMIT = 3
FULFILMENT_HOURS = 24


@dataclass(frozen=True)
class GestureSpec:
    """A catalog entry: what the customer gets, its tier, where it fits, its caps, and how it is fulfilled."""

    name: str
    description: str
    tier: Tier
    categories: list[str] = field(default_factory=list)  # empty: fits every category
    daily_cap: int | None = None
    monthly_cap: int | None = None
    fulfilment: str = "task"


# Money is a different process (refunds, credits): a gesture is something we do, not something we pay.
_MONEY_PATTERNS = [
    (re.compile(r"[$€£¥₹]\s*\d|\d\s*[$€£¥₹]"), N_("an amount of money")),
    (
        re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:usd|eur|gbp|chf|cad|aud|dollars?|euros?|pounds?|bucks)\b", re.I),
        N_("an amount of money"),
    ),
    (re.compile(r"\b(?:usd|eur|gbp|chf|cad|aud)\s*\d", re.I), N_("an amount of money")),
    (re.compile(r"\b\d+\s*%\s*(?:off|discount)|\bdiscount\b", re.I), N_("a discount")),
    (
        re.compile(
            r"\b(?:cash|refunds?|refunded|money[- ]back|reimburse\w*|store credit|account credit|gift ?cards?|vouchers?\s+(?:worth|for|of))\b",
            re.I,
        ),
        N_("cash, a refund or a credit"),
    ),
]


def money_problem(*texts: str) -> str | None:
    """Why a gesture's wording is really money (a clear sentence), or None when it is a gesture."""
    for text in texts:
        for pattern, what in _MONEY_PATTERNS:
            match = pattern.search(text or "")
            if match:
                return _(
                    "“%(words)s” reads as %(what)s. Gestures here are small things we do, never money: "
                    "cash, refunds and money-off discounts go through your refund process instead.",
                    words=match.group(0).strip(),
                    what=_(what),
                )
    return None


@dataclass(frozen=True)
class GestureOption:
    """What the offer rule needs to know about one gesture in a site's catalog."""

    id: int
    tier: int
    categories: tuple[str, ...] = ()
    position: int = 0

    def fits(self, category: str) -> bool:
        """A gesture without categories fits every category."""
        return not self.categories or category in self.categories


def effective_tier(staff_set: int | None, signed_by_host: str | None) -> Tier:
    """A tier staff set on the customer's file wins; else the one the host signed; else standard."""
    if staff_set:
        return Tier(staff_set)
    return Tier.parse(signed_by_host) or Tier.STANDARD


def offer_tier(customer_tier: int, repeat_level: int) -> Tier:
    """The highest tier a customer is offered: their own, raised one step once small failures pile up (at risk)."""
    raise_by = 1 if repeat_level >= RepeatLevel.AT_RISK else 0
    return Tier(max(Tier.STANDARD, min(customer_tier + raise_by, Tier.PREMIUM)))


def offer_gestures(
    catalog: Iterable[GestureOption],
    *,
    category: str,
    customer_tier: int,
    repeat_level: int,
    available: Callable[[GestureOption], bool] = lambda g: True,
    limit: int = OFFER_LIMIT,
) -> list[GestureOption]:
    """Up to `limit` gestures fitting the category, at most the offer tier, highest tier first.

    Gestures whose cap or code pool has run out are skipped, so the offer degrades to the next
    relevant gesture instead of failing.
    """
    top = offer_tier(customer_tier, repeat_level)
    relevant = [g for g in catalog if g.tier <= top and g.fits(category) and available(g)]
    relevant.sort(key=lambda g: (-g.tier, g.position, g.id))
    return relevant[:limit]


# Gestures each role may grant per calendar month without asking anyone, per tier (standard,
# elevated, premium). Admins have no limit.
DEFAULT_BUDGETS: dict[str, list[int]] = {"agent": [10, 2, 0], "lead": [40, 10, 3]}
BUDGET_ROLES = ("agent", "lead")
BUDGET_ROLE_NAMES = {"agent": N_("agents"), "lead": N_("leads")}  # the budget table's rows
BUDGET_ERRORS = {
    "agent": N_("The agents' %(tier)s budget must be a whole number from 0 to 10000."),
    "lead": N_("The leads' %(tier)s budget must be a whole number from 0 to 10000."),
}
ROLE_ORDER = ("agent", "lead", "admin")


def budgets_of(configured: Mapping[str, Sequence[int]] | None) -> dict[str, list[int]]:
    """A site's budgets, with the defaults for any role it has not set."""
    return {role: list((configured or {}).get(role) or DEFAULT_BUDGETS[role]) for role in BUDGET_ROLES}


def role_limit(budgets: Mapping[str, Sequence[int]], role: str, tier: int) -> int | None:
    """How many gestures of this tier the role may grant a month (None: no limit)."""
    if role not in BUDGET_ROLES:
        return None
    return budgets[role][tier - 1]


@dataclass(frozen=True)
class BudgetCheck:
    """Whether a staff member may grant a gesture of a tier on their own, and if not, who can."""

    allowed: bool
    limit: int | None
    used: int
    can_grant: tuple[str, ...] = field(default=())

    @property
    def remaining(self) -> int | None:
        """What is left this month (None: no limit)."""
        return None if self.limit is None else max(self.limit - self.used, 0)


def check_budget(budgets: Mapping[str, Sequence[int]], *, role: str, tier: int, used: int) -> BudgetCheck:
    """May `role`, having granted `used` gestures of `tier` this month, grant one more? Names the roles above that can."""
    limit = role_limit(budgets, role, tier)
    if limit is None or used < limit:
        return BudgetCheck(allowed=True, limit=limit, used=used)
    above = ROLE_ORDER[ROLE_ORDER.index(role) + 1 :]
    can = tuple(r for r in above if (role_limit(budgets, r, tier) or 0) > 0 or role_limit(budgets, r, tier) is None)
    return BudgetCheck(allowed=False, limit=limit, used=used, can_grant=can)


def parse_codes(text: str) -> list[str]:
    """Single-use codes, one per line (commas and spaces separate too); blank lines and repeats dropped."""
    seen: dict[str, None] = {}
    for token in re.split(r"[\s,;]+", text or ""):
        if token:
            seen.setdefault(token[:200], None)
    return list(seen)


class GestureInvalid(ValueError):
    """A catalog entry that cannot be saved, with a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _cap(value: str, errors: dict[str, str], key: str, message: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) <= 100_000:
        errors[key] = message
        return None
    return int(value)


def validate_gesture(form: Mapping[str, object], site_categories: Sequence[str]) -> GestureSpec:
    """Check an admin's gesture: named, described, a known tier and fulfilment, sane caps, and no money."""
    errors: dict[str, str] = {}
    name = " ".join(str(form.get("name") or "").split())
    description = str(form.get("description") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = _("Give the gesture a name of at most 120 characters.")
    if not description or len(description) > 500:
        errors["description"] = _("Say in at most 500 characters what the customer gets.")
    tier = Tier.parse(str(form.get("tier") or ""))
    if tier is None:
        errors["tier"] = _("Pick standard, elevated or premium.")
    # A form sends one ticked category as a string and several as a list.
    raw_categories = form.get("categories") or []
    if isinstance(raw_categories, str):
        raw_categories = [raw_categories]
    categories = [str(c) for c in raw_categories] if isinstance(raw_categories, Iterable) else []
    unknown = [c for c in categories if c not in site_categories]
    if unknown:
        errors["categories"] = _("Unknown categories: %(categories)s.", categories=", ".join(unknown))
    fulfilment = str(form.get("fulfilment") or "")
    if fulfilment not in FULFILMENTS:
        errors["fulfilment"] = _("Pick how it is fulfilled: by a person, or with codes from a pool.")
    daily_cap = _cap(
        str(form.get("daily_cap") or ""),
        errors,
        "daily_cap",
        _("The daily cap must be a whole number from 1 to 100000, or empty for no cap."),
    )
    monthly_cap = _cap(
        str(form.get("monthly_cap") or ""),
        errors,
        "monthly_cap",
        _("The monthly cap must be a whole number from 1 to 100000, or empty for no cap."),
    )
    if "name" not in errors and "description" not in errors:
        problem = money_problem(name, description)
        if problem:
            errors["description"] = problem
    if errors:
        raise GestureInvalid(errors)
    assert tier is not None
    return GestureSpec(name, description, tier, categories, daily_cap, monthly_cap, fulfilment)


def parse_budgets(form: Mapping[str, object]) -> dict[str, list[int]]:
    """Budgets from the admin's form fields `budget_<role>_<tier>`; raises GestureInvalid naming bad fields."""
    budgets: dict[str, list[int]] = {}
    errors: dict[str, str] = {}
    for role in BUDGET_ROLES:
        budgets[role] = []
        for tier in Tier:
            key = f"budget_{role}_{tier.value}"
            value = str(form.get(key) or "0").strip()
            if not value.isdigit() or int(value) > 10_000:
                errors[key] = _(BUDGET_ERRORS[role], tier=_(tier.label))
                value = "0"
            budgets[role].append(int(value))
    if errors:
        raise GestureInvalid(errors)
    return budgets
