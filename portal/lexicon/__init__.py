"""The packaged apology lexicons, one TOML file per language."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from portal.domain.lexicon import Lexicon

LEXICON_DIR = Path(__file__).resolve().parent


@cache
def load_lexicon(lang: str = "en") -> Lexicon:
    """The lexicon for a language (by its primary subtag), falling back to English."""
    path = LEXICON_DIR / f"{lang.split('-')[0].lower()}.toml"
    return Lexicon.from_toml((path if path.exists() else LEXICON_DIR / "en.toml").read_text(encoding="utf-8"))
