"""The packaged apology lexicons, one TOML file per language."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from portal.domain.lexicon import Lexicon

LEXICON_DIR = Path(__file__).resolve().parent


@cache
def load_lexicon(lang: str = "en") -> Lexicon:
    """The lexicon for a language (`pt_BR`, then `pt`), falling back to English."""
    for name in (lang.replace("-", "_"), lang.split("-")[0].split("_")[0].lower(), "en"):
        path = LEXICON_DIR / f"{name}.toml"
        if path.exists():
            return Lexicon.from_toml(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(LEXICON_DIR / "en.toml")
