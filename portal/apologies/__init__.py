"""The packaged apology wording, one TOML file per language, written natively in each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from portal.domain.apology import ApologyTexts

APOLOGY_DIR = Path(__file__).resolve().parent


@cache
def apology_texts(lang: str = "en") -> ApologyTexts:
    """The wording for a language (`pt_BR`, then `pt`), falling back to English."""
    for name in (lang.replace("-", "_"), lang.split("-")[0].split("_")[0].lower(), "en"):
        path = APOLOGY_DIR / f"{name}.toml"
        if path.exists():
            return ApologyTexts.from_toml(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(APOLOGY_DIR / "en.toml")
