"""A site's own words in the customer's language: its translations, else the catalogs' for Mend's
defaults, else the text as the site wrote it in its default language."""

from __future__ import annotations

from typing import Any

from portal.domain.default_gestures import DEFAULT_CATALOG
from portal.domain.sites import DEFAULT_CATEGORIES, DEFAULT_NO_BLAME_TEXT, category_label, translated
from portal.i18n import current_locale, gettext, use_locale
from portal.models import CorrectiveAction, Gesture, Site

_DEFAULT_LABELS = {c["slug"]: c["label"] for c in DEFAULT_CATEGORIES}
_DEFAULT_GESTURE_TEXTS = {text for spec in DEFAULT_CATALOG for text in (spec.name, spec.description)}


def _default_or_translated(original: str, default: str | None, translations: Any, field: str, lang: str) -> str:
    text = translated(original, translations, field, lang)
    if text is original and original == default:
        with use_locale(lang):  # Mend's own default, untouched by the site: the catalogs know it
            return gettext(original)
    return text


def category_text(site: Site, slug: str, lang: str | None = None) -> str:
    """The label of one of the site's categories."""
    label = category_label(site.categories, slug)
    return _default_or_translated(
        label, _DEFAULT_LABELS.get(slug), site.translations, f"category:{slug}", lang or current_locale()
    )


def no_blame_text(site: Site, lang: str | None = None) -> str:
    """The panel's no-blame promise."""
    original = site.no_blame_text or DEFAULT_NO_BLAME_TEXT
    return _default_or_translated(
        original, DEFAULT_NO_BLAME_TEXT, site.translations, "no_blame_text", lang or current_locale()
    )


def text_of(thing: Gesture | CorrectiveAction, field: str, lang: str | None = None) -> str:
    """A gesture's name or description, a known issue's wording or a CA's closure summary."""
    original = getattr(thing, field)
    default = original if isinstance(thing, Gesture) and original in _DEFAULT_GESTURE_TEXTS else None
    return _default_or_translated(original, default, thing.translations, field, lang or current_locale())
