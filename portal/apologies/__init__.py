"""The packaged apology wording, one TOML file per language, written natively in each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from portal.domain.apology import ApologyTexts
from portal.i18n import language_file

APOLOGY_DIR = Path(__file__).resolve().parent


@cache
def apology_texts(lang: str = "en") -> ApologyTexts:
    """The wording for a language (`pt_BR`, then `pt`), falling back to English."""
    return ApologyTexts.from_toml(language_file(APOLOGY_DIR, lang).read_text(encoding="utf-8"))
