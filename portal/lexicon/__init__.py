"""The packaged apology lexicons, one TOML file per language."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from portal.domain.lexicon import Lexicon
from portal.i18n import language_file

LEXICON_DIR = Path(__file__).resolve().parent


@cache
def load_lexicon(lang: str = "en") -> Lexicon:
    """The lexicon for a language (`pt_BR`, then `pt`), falling back to English."""
    return Lexicon.from_toml(language_file(LEXICON_DIR, lang).read_text(encoding="utf-8"))
