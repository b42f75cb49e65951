"""The instant apology: personal, on the customer's side, owned in the first person, signed by a person.

Each apology is assembled from independently chosen parts (greeting, opening, what they told us,
ownership, next step, thanks) so two customers with the same problem rarely read the same letter.
"""

from __future__ import annotations

import random
import string
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from portal.i18n import N_


@dataclass(frozen=True)
class ApologyTexts:
    """One language's wording for the apology, as data (portal/apologies/{lang}.toml)."""

    greetings: tuple[str, ...]
    anonymous_greetings: tuple[str, ...]
    openings: tuple[str, ...]
    again: tuple[str, ...]  # from the second report in the window: it has happened before
    piling_up: tuple[str, ...]  # at risk and beyond: several slips add up to something bigger
    quotes: tuple[str, ...]
    ownership: tuple[str, ...]
    next_steps: tuple[str, ...]
    thanks: tuple[str, ...]
    generic_failures: tuple[str, ...]  # a site's own category, named by {label}
    failures: dict[str, tuple[str, ...]]  # per default category slug
    by_mail: str
    by_mail_also: str
    lowercase_label: bool = True
    no_name: str = "there"  # {name} in a site's template when the customer gave none
    signature: str = "{name}, {role}"

    @classmethod
    def from_toml(cls, source: str) -> ApologyTexts:
        """Parse a language's apology file."""
        data: dict[str, Any] = tomllib.loads(source)
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        fields["failures"] = {slug: tuple(v) for slug, v in data["failures"].items()}
        return cls(**fields)


QUOTE_LIMIT = 90


@dataclass(frozen=True)
class Apology:
    """The apology text and the person who signs it."""

    text: str
    signed_by: str


def quote_of(description: str, limit: int = QUOTE_LIMIT) -> str:
    """A short, single-line excerpt of what the customer wrote, cut at a word boundary."""
    flat = " ".join(description.split()).replace("“", '"').replace("”", '"')
    if len(flat) <= limit:
        return flat.rstrip(".,;: ")  # the sentence around the quote brings its own punctuation
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(",.;:-") + "…"


def signature(texts: ApologyTexts, signer_name: str, signer_role: str) -> str:
    """How the apology is signed: a named person and their role."""
    return texts.signature.format(name=signer_name, role=signer_role) if signer_role else signer_name


def compose_apology(
    texts: ApologyTexts,
    *,
    category: str,
    category_label: str,
    description: str,
    name: str | None,
    signer_name: str,
    signer_role: str,
    has_email: bool,
    seed: int,
    repeat_level: int = 1,
) -> Apology:
    """Write a personal apology for one report; `seed` picks the wording so letters vary.

    From repeat level 2 the letter says it has happened before; from level 3, that it adds up.
    """
    pick = random.Random(seed).choice
    label = category_label.lower() if texts.lowercase_label else category_label
    failures = texts.failures.get(category) or tuple(f.format(label=label) for f in texts.generic_failures)
    first_name = (name or "").split()[0] if name and name.strip() else ""
    greeting = pick(texts.greetings).format(name=first_name) if first_name else pick(texts.anonymous_greetings)
    lines = [pick(texts.openings).format(failure=pick(failures))]
    lines += _repeat_acknowledgement(texts, repeat_level, pick)
    if description.strip():
        lines.append(pick(texts.quotes).format(quote=quote_of(description)))
    lines.append(pick(texts.ownership))
    lines.append(
        pick(texts.next_steps).format(
            by_mail=texts.by_mail if has_email else "",
            by_mail_also=texts.by_mail_also if has_email else "",
        )
    )
    lines.append(pick(texts.thanks))
    signed_by = signature(texts, signer_name, signer_role)
    text = f"{greeting}\n\n{' '.join(lines)}\n\n{signed_by}"
    return Apology(text=text, signed_by=signed_by)


def _repeat_acknowledgement(texts: ApologyTexts, repeat_level: int, pick: Callable[[Sequence[str]], str]) -> list[str]:
    """From level 2 the letter says it has happened before; from level 3, that it adds up."""
    if repeat_level >= 3:
        return [pick(texts.piling_up)]
    if repeat_level == 2:
        return [pick(texts.again)]
    return []


# A site's own wording: these placeholders, nothing else (so a typo cannot leak into a letter).
PLACEHOLDERS = {
    "name": N_("the customer's first name, or a greeting word when they gave none"),
    "category": N_("what the report was about"),
    "quote": N_("a short quote of what they wrote"),
    "signer": N_("who signs"),
}
SAMPLE = {
    "name": "Alex",
    "category": "Late or missing delivery",
    "quote": "My parcel arrived two days late",
    "signer": "Sam Rivera",
}


def placeholder_errors(body: str) -> list[str]:
    """What is wrong with a template's placeholders, in words an admin can act on."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(body) if field is not None]
    except ValueError:
        return ["A { or } is unmatched. Write {name}, {category}, {quote} or {signer}, or double a brace to show it."]
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    return [f"Unknown placeholder {{{f}}}: use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}." for f in unknown]


def render_template(
    texts: ApologyTexts,
    body: str,
    *,
    name: str | None,
    category_label: str,
    description: str,
    signer_name: str,
    signer_role: str,
    repeat_level: int = 1,
    seed: int = 0,
) -> Apology:
    """A site's template filled in for one report; repeats are acknowledged as in the default letters."""
    first_name = name.split()[0] if name and name.strip() else texts.no_name
    text = body.strip().format(
        name=first_name,
        category=category_label,
        quote=quote_of(description) if description else category_label,
        signer=signer_name,
    )
    acknowledgement = _repeat_acknowledgement(texts, repeat_level, random.Random(seed).choice)
    text = "\n\n".join([text, *acknowledgement])
    signed_by = signature(texts, signer_name, signer_role)
    return Apology(text=f"{text}\n\n{signed_by}", signed_by=signed_by)
