"""A site's own texts in each language it enables: what there is to translate, what is missing, saving.

The original of each text is written in the site's default language (its columns); translations
live in each row's `translations` JSON ({lang: {field: text}}). Mend's own defaults (the no-blame
text and default category labels, while a site keeps them) are translated by the catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.default_gestures import DEFAULT_CATALOG
from portal.domain.sites import DEFAULT_CATEGORIES
from portal.i18n import LANGUAGES, N_
from portal.i18n import gettext as _
from portal.models import CorrectiveAction, Gesture, Site

MAX_TEXT = 2000
# Mend's own defaults, while a site keeps them, are translated by the catalogs: nothing to do here.
_DEFAULT_LABELS = {(c["slug"], c["label"]) for c in DEFAULT_CATEGORIES}
_DEFAULT_GESTURE_TEXTS = {text for spec in DEFAULT_CATALOG for text in (spec.name, spec.description)}


@dataclass(frozen=True)
class Text:
    """One translatable text: where it lives, what it says in the default language, and its translation."""

    key: str  # the form field: "site:no_blame_text", "gesture:12:name", "ca:3:closure_summary"
    label: str  # what it is, for the admin (a catalog message id)
    original: str
    translation: str


def _site_texts(site: Site, lang: str) -> list[Text]:
    own = site.translations.get(lang, {})
    texts = []
    if site.no_blame_text:
        texts.append(Text("site:no_blame_text", N_("No-blame text"), site.no_blame_text, own.get("no_blame_text", "")))
    for c in site.categories:
        if (c["slug"], c["label"]) not in _DEFAULT_LABELS:
            field = f"category:{c['slug']}"
            texts.append(Text(f"site:{field}", N_("Category"), c["label"], own.get(field, "")))
    return texts


def _row_texts(prefix: str, row: Gesture | CorrectiveAction, fields: Mapping[str, str], lang: str) -> list[Text]:
    own = row.translations.get(lang, {})
    return [
        Text(f"{prefix}:{row.id}:{field}", label, getattr(row, field), own.get(field, ""))
        for field, label in fields.items()
        if getattr(row, field) and getattr(row, field) not in _DEFAULT_GESTURE_TEXTS
    ]


async def _rows(session: AsyncSession, site: Site) -> tuple[list[Gesture], list[CorrectiveAction]]:
    gestures = (
        await session.scalars(
            select(Gesture).where(Gesture.site_id == site.id, Gesture.active).order_by(Gesture.position)
        )
    ).all()
    # Known issues customers can see now, and summaries their closure mail and status pages show.
    cas = (
        await session.scalars(
            select(CorrectiveAction)
            .where(
                CorrectiveAction.site_id == site.id,
                or_(CorrectiveAction.public, CorrectiveAction.closure_summary != ""),
            )
            .order_by(CorrectiveAction.id.desc())
            .limit(100)
        )
    ).all()
    return list(gestures), list(cas)


async def texts_for(session: AsyncSession, site: Site, lang: str) -> list[Text]:
    """Everything of the site's own that a customer may read, with its translation into `lang`."""
    gestures, cas = await _rows(session, site)
    texts = _site_texts(site, lang)
    for gesture in gestures:
        texts += _row_texts("gesture", gesture, {"name": N_("Gesture"), "description": N_("What they get")}, lang)
    for ca in cas:
        texts += _row_texts(
            "ca", ca, {"public_wording": N_("Known issue"), "closure_summary": N_("What we changed")}, lang
        )
    return texts


def untranslated_counts(site: Site) -> dict[str, int]:
    """Per enabled language besides the default: how many of the site's own texts lack a translation.

    Counts the site's own texts (no-blame text and categories); gestures and corrective actions are
    counted on the translations page, which loads them.
    """
    return {
        lang: sum(1 for t in _site_texts(site, lang) if not t.translation)
        for lang in site.languages
        if lang != site.default_language
    }


def _merged(translations: Mapping[str, Mapping[str, str]], lang: str, field: str, text: str) -> dict[str, Any]:
    """A new translations dict (JSON columns only notice reassignment) with one field set or cleared."""
    merged = {code: dict(fields) for code, fields in translations.items()}
    own = merged.setdefault(lang, {})
    if text:
        own[field] = text
    else:
        own.pop(field, None)
    return merged


async def save_translations(session: AsyncSession, site: Site, lang: str, form: Mapping[str, Any]) -> int:
    """Save the admin's translations into `lang` (an empty field removes one); returns how many texts changed."""
    if lang not in LANGUAGES or lang == site.default_language:
        raise ValueError(_("Pick one of the site's other languages."))
    gestures, cas = await _rows(session, site)
    rows: dict[str, Gesture | CorrectiveAction] = {f"gesture:{g.id}": g for g in gestures}
    rows.update({f"ca:{c.id}": c for c in cas})
    changed = 0
    for text in await texts_for(session, site, lang):
        value = str(form.get(text.key, "")).strip()[:MAX_TEXT]
        if value == text.translation:
            continue
        if text.key.startswith("site:"):
            site.translations = _merged(site.translations, lang, text.key.removeprefix("site:"), value)
        else:
            owner, _sep, field = text.key.rpartition(":")
            rows[owner].translations = _merged(rows[owner].translations, lang, field, value)
        changed += 1
    await session.commit()
    return changed
