"""The instant apology: personal, on the customer's side, owned in the first person, signed by a person.

Each apology is assembled from independently chosen parts (greeting, opening, what they told us,
ownership, next step, thanks) so two customers with the same problem rarely read the same letter.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

# What went wrong, said in our own voice. Keys are the default category slugs; a site's own
# categories fall back to GENERIC_FAILURES, which quote the category label.
FAILURES: dict[str, tuple[str, ...]] = {
    "delivery": (
        "your delivery didn't reach you the way we promised",
        "we let you down on your delivery",
        "we didn't get your order to you when we said we would",
    ),
    "website": (
        "our website got in your way",
        "our page didn't work the way it should have",
        "our site made you wait and struggle",
    ),
    "billing": (
        "we got your charge wrong",
        "the amount we charged you wasn't right",
        "we made a mistake with your bill",
    ),
    "order": (
        "what arrived wasn't what you ordered, or it reached you damaged",
        "we sent you the wrong thing or a damaged one",
        "your order wasn't right when it reached you",
    ),
    "service": (
        "the help we gave you didn't actually help",
        "we didn't give you the help you came to us for",
        "our team didn't look after you the way we should have",
    ),
}
GENERIC_FAILURES: tuple[str, ...] = (
    "this happened to you: {label}",
    "we let you down here ({label})",
    "we got this wrong for you: {label}",
)

GREETINGS = ("Hi {name},", "Hello {name},", "{name},")
ANONYMOUS_GREETINGS = ("Hi,", "Hello,", "Hi there,")
OPENINGS = (
    "I'm sorry {failure}.",
    "I'm really sorry that {failure}.",
    "Thank you for telling me, and I'm sorry {failure}.",
)
# From the second report in the window: it has happened before, and we say so.
AGAIN = (
    "I know this isn't the first time something has gone wrong for you lately, and I don't take that lightly.",
    "I can see you've had to tell us about a problem before, and I'm sorry it has happened again.",
    "This has happened to you before with us, and once was already once too many.",
)
# At risk and beyond: several slips in a short time add up to something bigger.
PILING_UP = (
    "You've had several things go wrong with us in a short time, and together they add up. I've flagged your account so we look at all of it, not one slip at a time.",
    "This isn't the first or even the second time we've let you down lately. I've flagged your account so someone looks at the whole picture.",
    "Several small things have gone wrong for you with us recently. That's not good enough, and I've flagged your account so we deal with all of them together.",
)
QUOTES = (
    "You wrote “{quote}”, and you were right to tell us.",
    "What you described (“{quote}”) is not how it should have gone for you.",
    "I've read what you told us, “{quote}”, and you shouldn't have had to deal with it.",
)
OWNERSHIP = (
    "That's on us, not on you, and I'm making sure it reaches the people who can fix it.",
    "It was our mistake. I've passed it straight to the team who can put it right.",
    "We own this one. I've flagged it so it gets fixed, for you and for whoever comes next.",
)
NEXT_STEPS = (
    "Your status page shows what happens next, and I'll keep it up to date{by_mail}.",
    "You can follow every step on your status page{by_mail_also}.",
    "I'll let you know as soon as it's sorted; your status page always shows where things stand{by_mail_also}.",
)
THANKS = (
    "Small things like this are exactly what we want to hear about — thank you.",
    "Telling us about a small slip takes a moment you didn't owe us. Thank you for it.",
    "Thank you for speaking up; it helps us fix this for everyone.",
)

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


def signature(signer_name: str, signer_role: str) -> str:
    """How the apology is signed: a named person and their role."""
    return f"{signer_name}, {signer_role}" if signer_role else signer_name


def compose_apology(
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
    failures = FAILURES.get(category) or tuple(f.format(label=category_label.lower()) for f in GENERIC_FAILURES)
    first_name = (name or "").split()[0] if name and name.strip() else ""
    greeting = pick(GREETINGS).format(name=first_name) if first_name else pick(ANONYMOUS_GREETINGS)
    lines = [pick(OPENINGS).format(failure=pick(failures))]
    if repeat_level >= 3:
        lines.append(pick(PILING_UP))
    elif repeat_level == 2:
        lines.append(pick(AGAIN))
    if description.strip():
        lines.append(pick(QUOTES).format(quote=quote_of(description)))
    lines.append(pick(OWNERSHIP))
    lines.append(
        pick(NEXT_STEPS).format(
            by_mail=" and write to you by email" if has_email else "",
            by_mail_also=", and I'll write to you by email too" if has_email else "",
        )
    )
    lines.append(pick(THANKS))
    signed_by = signature(signer_name, signer_role)
    text = f"{greeting}\n\n{' '.join(lines)}\n\n{signed_by}"
    return Apology(text=text, signed_by=signed_by)


# A site's own wording: these placeholders, nothing else (so a typo cannot leak into a letter).
PLACEHOLDERS = {
    "name": "the customer's first name, or 'there'",
    "category": "what the report was about",
    "quote": "a short quote of what they wrote",
    "signer": "who signs",
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
    first_name = name.split()[0] if name and name.strip() else "there"
    text = body.strip().format(
        name=first_name,
        category=category_label,
        quote=quote_of(description) if description else category_label,
        signer=signer_name,
    )
    pick = random.Random(seed).choice
    if repeat_level >= 3:
        text += "\n\n" + pick(PILING_UP)
    elif repeat_level == 2:
        text += "\n\n" + pick(AGAIN)
    signed_by = signature(signer_name, signer_role)
    return Apology(text=f"{text}\n\n{signed_by}", signed_by=signed_by)
