"""Languages: which ones Mend ships, how one is chosen, and the gettext catalogs behind every string.

The current language lives in a context variable: a request sets it once (from the report, the
site's negotiation or the staff member's profile) and everything rendered in that request, Jinja
templates and Python messages alike, follows it. Mail sets it around its own rendering.

Catalogs are the `.po` files under portal/locale, compiled in memory at first use, so a fresh clone
needs no build step (`make messages` extracts new strings; `python -m portal.catalogs --check`
fails while a shipped language misses a message or breaks a placeholder).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

# Customer-facing: the widget, panel, status page, mail and apology, in every one of these.
LANGUAGES = ("en", "fr", "de", "es", "pt_BR", "nl", "it", "ar")
# The staff portal's own languages.
STAFF_LANGUAGES = ("en", "fr", "de")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {code: (Locale.parse(code).get_display_name(code) or code).capitalize() for code in LANGUAGES}

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("mend_locale", default=DEFAULT_LANGUAGE)
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def normalize(tag: str | None) -> str | None:
    """A BCP 47 or POSIX tag as a Babel identifier (`pt-br` → `pt_BR`); None when malformed or unknown."""
    tag = (tag or "").strip()
    if not tag or len(tag) > 35 or not _TAG.match(tag):
        return None
    try:
        return str(Locale.parse(tag.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return None


def negotiate(preferred: Iterable[str | None], available: Sequence[str]) -> str | None:
    """The first preferred language we have: exactly (`pt_BR`), else by language (`fr_CA` → `fr`)."""
    tags = [t for t in (normalize(p) for p in preferred) if t]
    for tag in tags:
        if tag in available:
            return tag
        language = tag.split("_")[0]
        match = next((a for a in available if a.split("_")[0] == language), None)
        if match:
            return match
    return None


def parse_accept_language(header: str | None, limit: int = 12) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (malformed parts are skipped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:limit]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(
    preferred: Iterable[str | None], enabled: Sequence[str] | None = None, default: str | None = None
) -> str:
    """The language to use: the first preferred one the site enables, else the site's default, else English."""
    enabled = [lang for lang in (enabled or LANGUAGES) if lang in LANGUAGES] or [DEFAULT_LANGUAGE]
    return negotiate(preferred, enabled) or (default if default in LANGUAGES else None) or DEFAULT_LANGUAGE


def customer_language(
    enabled: Sequence[str] | None, default: str | None, raw: Mapping[str, Any], accept_language: str | None
) -> str:
    """A customer's language: the snippet's `data-lang`, else the browser's languages, among those the site
    enables; else the site's default; else English. Unknown or malformed codes are skipped, never an error."""
    browser = str(raw.get("langs") or "").split(",")[:8]
    requested = [str(raw.get("lang") or ""), *browser, *parse_accept_language(accept_language)]
    return choose_language(requested, enabled, default)


def language_file(directory: Path, lang: str, suffix: str = ".toml") -> Path:
    """A language's data file in `directory`: `pt_BR`, else `pt`, else English's."""
    for name in (lang.replace("-", "_"), lang.split("-")[0].split("_")[0].lower()):
        if (directory / f"{name}{suffix}").exists():
            return directory / f"{name}{suffix}"
    return directory / f"{DEFAULT_LANGUAGE}{suffix}"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a language (English is the source: it needs none)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if locale == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def current_locale() -> str:
    """The language of what is being rendered now."""
    return _current.get()


def set_locale(locale: str) -> None:
    """Render the rest of this request (or task) in `locale`."""
    _current.set(locale if locale in LANGUAGES else DEFAULT_LANGUAGE)


@contextlib.contextmanager
def use_locale(locale: str | None) -> Iterator[None]:
    """Render what runs inside in `locale`, then go back."""
    token = _current.set(locale if locale in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def lookup(message: str) -> str:
    """`message` in the current language, placeholders left in (Jinja fills them itself)."""
    return translations(_current.get()).ugettext(message)


def lookup_plural(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language, placeholders left in."""
    return translations(_current.get()).ungettext(singular, plural, n)


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, with `%(name)s` placeholders filled in."""
    text = lookup(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for `n` in the current language (`%(num)s` is n)."""
    return lookup_plural(singular, plural, n) % {"num": n, **variables}


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A message translated when it is shown, not when the module is imported (labels, defaults)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


_ = gettext


def N_(message: str) -> str:
    """Mark a message for the catalogs where it is defined; it is translated where it is shown."""
    return message


def text_direction(locale: str | None = None) -> str:
    """`rtl` for Arabic, `ltr` otherwise."""
    return _direction(locale or _current.get())


@cache
def _direction(locale: str) -> str:
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


def html_lang(locale: str | None = None) -> str:
    """The language as an HTML `lang` value (`pt-BR`)."""
    return (locale or _current.get()).replace("_", "-")


def customer_time(moment: datetime, tz_offset_min: int | None) -> datetime:
    """`moment` in the customer's own time (the offset the widget captured); UTC when unknown."""
    zone = timezone(timedelta(minutes=tz_offset_min)) if tz_offset_min is not None else UTC
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def format_moment(moment: datetime | None, tz_offset_min: int | None = None, form: str = "medium") -> str:
    """A date and time for the current language, in the customer's own time."""
    if moment is None:
        return ""
    return format_datetime(customer_time(moment, tz_offset_min), form, locale=_current.get())


def format_day(moment: date | None, tz_offset_min: int | None = None, form: str = "long") -> str:
    """A date for the current language; a moment is taken in the customer's own time."""
    if moment is None:
        return ""
    day = customer_time(moment, tz_offset_min) if isinstance(moment, datetime) else moment
    return format_date(day, form, locale=_current.get())


def format_number(value: int) -> str:
    """A count as the current language writes it (12,345 · 12 345 · 12.345)."""
    return format_decimal(value, locale=_current.get())


def format_month(day: date) -> str:
    """A month and year for the current language ("November 2026")."""
    return format_date(day, "LLLL y", locale=_current.get())


def format_clock(moment: datetime | None, tz_offset_min: int | None = None) -> str:
    """A time of day for the current language, in the customer's own time."""
    if moment is None:
        return ""
    return format_time(customer_time(moment, tz_offset_min), "short", locale=_current.get())
