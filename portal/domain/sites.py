"""Site defaults and the rules about where a site's widget may be used."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from portal.i18n import gettext as _

# English originals; the catalogs translate them where they are shown, until a site writes its own.
DEFAULT_CATEGORIES: list[dict[str, str]] = [
    {"slug": "delivery", "label": N_("Late or missing delivery")},
    {"slug": "website", "label": N_("Page slow or broken")},
    {"slug": "billing", "label": N_("Wrong charge")},
    {"slug": "order", "label": N_("Wrong or damaged item")},
    {"slug": "service", "label": N_("Help that didn't help")},
    {"slug": "other", "label": N_("Something else")},
]

DEFAULT_NO_BLAME_TEXT = N_(
    "No slip is too small to tell us about. Nobody gets into trouble because of what you write "
    "here: we use it to fix the cause, so it doesn't happen to you or anyone else again."
)


class OriginError(ValueError):
    """An origin that is not scheme://host[:port]."""


def normalize_origin(value: str) -> str:
    """`https://Shop.example:443/path` -> `https://shop.example`; rejects anything but http(s)."""
    if value.strip() == "*":
        return "*"
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginError(f"not an http(s) origin: {value!r}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origin_allowed(origin: str | None, allowed: list[str], own_origin: str) -> bool:
    """May a browser page at `origin` submit for this site? No Origin header means not a browser form."""
    if not origin:
        return True
    try:
        origin = normalize_origin(origin)
    except OriginError:
        return False
    return origin == normalize_origin(own_origin) or "*" in allowed or origin in allowed


def translated(original: str, translations: Mapping[str, Mapping[str, str]] | None, field: str, lang: str) -> str:
    """A site's own text in `lang`: the translation an admin wrote, else the original (in the site's default language)."""
    return ((translations or {}).get(lang) or {}).get(field) or original


def category_label(categories: list[dict[str, str]], slug: str) -> str:
    """The label shown for a category slug (the slug itself when the site no longer lists it)."""
    return next((c["label"] for c in categories if c["slug"] == slug), slug)


@dataclass(frozen=True)
class SiteSettings:
    """What an admin can change about a site."""

    name: str
    allowed_origins: list[str]
    categories: list[dict[str, str]]
    no_blame_text: str | None
    signer_name: str
    signer_role: str
    repeat_window_days: int
    first_response_minutes: int
    recovery_hours: int
    follow_up_hours: int
    max_reports_per_minute: int
    languages: list[str]
    default_language: str
    # "Did we make it right?" and the churn check; None: the form did not send it, the site keeps its value.
    rating_reminder_days: int | None = None
    poor_rating_max: int | None = None
    silent_after_days: int | None = None
    retention_months: int | None = None  # what customers told us is anonymised after this many months
    # The site's own privacy notice, linked from the panel: "" clears it; None: not sent, the site keeps its value.
    privacy_url: str | None = None


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]


def _is_https_url(value: str) -> bool:
    """An absolute https address with a host and no spaces (the panel links to it)."""
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and len(value) <= 2000 and not re.search(r"\s", value)


def parse_categories(text: str) -> list[dict[str, str]]:
    """One category per line, `slug: Label` or just `Label` (the slug is made from it)."""
    categories: list[dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        slug, sep, label = line.partition(":")
        label = label.strip() if sep else line.strip()
        slug = _slug(slug if sep else label)
        if slug and slug not in {c["slug"] for c in categories}:
            categories.append({"slug": slug, "label": label[:80]})
    return categories


def format_categories(categories: list[dict[str, str]]) -> str:
    """The editable text form of a site's categories."""
    return "\n".join(f"{c['slug']}: {c['label']}" for c in categories)


def validate_site_settings(form: Mapping[str, Any]) -> SiteSettings:
    """Check an admin's site form; raise SiteSettingsInvalid naming each bad field."""
    errors: dict[str, str] = {}
    name = str(form.get("name", "")).strip()
    if not name or len(name) > 200:
        errors["name"] = _("Give the site a name (up to 200 characters).")
    origins = []
    for line in str(form.get("allowed_origins", "")).split():
        try:
            origins.append(normalize_origin(line))
        except OriginError:
            errors["allowed_origins"] = _("%(value)s is not an origin like https://shop.example.", value=repr(line))
    if not origins and "allowed_origins" not in errors:
        errors["allowed_origins"] = _("List at least one origin where the widget may appear.")
    categories = parse_categories(str(form.get("categories", "")))
    if not categories:
        errors["categories"] = _("List at least one category, one per line.")
    no_blame = str(form.get("no_blame_text", "")).strip()
    if len(no_blame) > 600:
        errors["no_blame_text"] = _("Keep the no-blame text under 600 characters.")
    signer_name = str(form.get("signer_name", "")).strip()
    if not signer_name or len(signer_name) > 120 or "\n" in signer_name:
        errors["signer_name"] = _("Apologies are signed by a named person: give their name.")
    numbers = {
        "repeat_window_days": (1, 730, N_("The repeat window is a number of days from 1 to 730.")),
        "first_response_minutes": (1, 24 * 60, N_("The first follow-up target is a number of minutes from 1 to 1440.")),
        "recovery_hours": (1, 24 * 14, N_("The recovery target is a number of hours from 1 to 336.")),
        "follow_up_hours": (1, 24 * 7, N_("The lead's follow-up target is a number of hours from 1 to 168.")),
        "max_reports_per_minute": (1, 10_000, N_("The ceiling is a number of reports a minute from 1 to 10000.")),
    }
    for field, (low, high, message) in numbers.items():
        value = str(form.get(field, "")).strip()
        if not value.isdigit() or not low <= int(value) <= high:
            errors[field] = _(message)
    optional = {
        "rating_reminder_days": (0, 30, N_("The reminder is a number of days from 0 (none) to 30.")),
        "poor_rating_max": (1, 4, N_("The poor-answer threshold is a score from 1 to 4.")),
        "silent_after_days": (7, 365, N_("Silence is a number of days from 7 to 365.")),
        "retention_months": (1, 120, N_("Keep what customers tell us for 1 to 120 months.")),
    }
    for field, (low, high, message) in optional.items():
        value = str(form.get(field, "")).strip()
        if field in form and not (value.isdigit() and low <= int(value) <= high):
            errors[field] = _(message)
    privacy_url = str(form.get("privacy_url", "")).strip()
    if privacy_url and not _is_https_url(privacy_url):
        errors["privacy_url"] = _("Give the privacy notice's https:// address, or leave it empty.")
    raw_languages = form.get("languages") or []
    picked = [raw_languages] if isinstance(raw_languages, str) else list(raw_languages)
    default_language = str(form.get("default_language") or DEFAULT_LANGUAGE)
    languages = [lang for lang in LANGUAGES if lang in picked or lang == default_language]
    if default_language not in LANGUAGES:
        errors["default_language"] = _("Pick the language the site's own texts are written in.")
    if errors:
        raise SiteSettingsInvalid(errors)
    return SiteSettings(
        name=name,
        allowed_origins=origins,
        categories=categories,
        no_blame_text=no_blame or None,
        signer_name=signer_name,
        signer_role=str(form.get("signer_role", "")).strip()[:120],
        repeat_window_days=int(form["repeat_window_days"]),
        first_response_minutes=int(form["first_response_minutes"]),
        recovery_hours=int(form["recovery_hours"]),
        follow_up_hours=int(form["follow_up_hours"]),
        max_reports_per_minute=int(form["max_reports_per_minute"]),
        languages=languages,
        default_language=default_language,
        privacy_url=privacy_url if "privacy_url" in form else None,
        **{field: int(form[field]) for field in optional if field in form},
    )


class SiteSettingsInvalid(ValueError):
    """A site form with mistakes, one message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
