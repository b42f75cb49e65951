"""The apology linter: finds what makes an apology fake, defensive or blaming, and what it lacks.

The phrases live in data (portal/lexicon/{lang}.toml, extendable per site); this module only
applies them. Every finding carries the offending phrase, the reason and a suggested rewrite.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from typing import Any

PHRASE_KINDS = ("fake", "courtroom", "plug_in")


@dataclass(frozen=True)
class Rule:
    """One lexicon entry."""

    kind: str
    pattern: re.Pattern[str]
    reason: str
    suggestion: str


@dataclass(frozen=True)
class Finding:
    """Something in a text that a customer would read as insincere, with a better way to say it."""

    kind: str  # fake, courtroom, plug_in, missing_apology, missing_ownership
    phrase: str
    reason: str
    suggestion: str
    start: int = 0


@dataclass(frozen=True)
class Lexicon:
    """Rules for one language, plus the essentials every apology needs."""

    rules: tuple[Rule, ...]
    apology: re.Pattern[str]
    apology_within_words: int
    first_person: re.Pattern[str]
    missing: dict[str, tuple[str, str]]  # missing_apology / missing_ownership: (reason, suggestion)

    @classmethod
    def from_toml(cls, source: str) -> Lexicon:
        """Parse a lexicon file's text."""
        data = tomllib.loads(source)
        essentials = data["essentials"]
        return cls(
            rules=tuple(_rule(kind, entry) for kind in PHRASE_KINDS for entry in data.get(kind, [])),
            apology=re.compile(essentials["apology"], re.IGNORECASE),
            apology_within_words=int(essentials["apology_within_words"]),
            first_person=re.compile(essentials["first_person"], re.IGNORECASE),
            missing={
                kind: (essentials[f"{kind}_reason"], essentials[f"{kind}_suggestion"])
                for kind in ("missing_apology", "missing_ownership")
            },
        )

    def extended(self, entries: list[dict[str, Any]]) -> Lexicon:
        """This lexicon plus a site's own entries ({kind, pattern, reason, suggestion})."""
        added = tuple(_rule(entry["kind"], entry) for entry in entries)
        return dataclasses.replace(self, rules=self.rules + added)


def _rule(kind: str, entry: dict[str, Any]) -> Rule:
    if kind not in PHRASE_KINDS:
        raise ValueError(f"unknown lexicon kind {kind!r}; use one of {', '.join(PHRASE_KINDS)}")
    return Rule(
        kind=kind,
        pattern=re.compile(entry["pattern"], re.IGNORECASE | re.DOTALL),
        reason=entry["reason"],
        suggestion=entry["suggestion"],
    )


def _normalise(text: str) -> str:
    """Curly quotes to straight ones, so "don’t" and "don't" match the same entries."""
    return text.replace("’", "'").replace("‘", "'")


def lint(text: str, lexicon: Lexicon, *, follow_up: bool = False) -> list[Finding]:
    """Every finding in `text`, in reading order; an empty list means it reads as sincere.

    A follow-up (a staff update after the apology went out) is checked for fake and defensive
    phrases only: it needs no apology of its own, and checking with the customer is fine then.
    """
    text = _normalise(text)
    apology = lexicon.apology.search(text)
    apology_at = apology.start() if apology else len(text)
    findings: list[Finding] = []
    for rule in lexicon.rules:
        for match in rule.pattern.finditer(text):
            if rule.kind == "plug_in" and (follow_up or match.start() > apology_at):
                continue  # after the apology, checking with the customer is fine
            findings.append(Finding(rule.kind, match.group(0), rule.reason, rule.suggestion, match.start()))
    if follow_up:
        return sorted(findings, key=lambda f: f.start)
    if apology is None or len(text[: apology.start()].split()) > lexicon.apology_within_words:
        reason, suggestion = lexicon.missing["missing_apology"]
        findings.append(
            Finding("missing_apology", text[:60], reason.format(words=lexicon.apology_within_words), suggestion)
        )
    if not lexicon.first_person.search(text):
        findings.append(Finding("missing_ownership", text[:60], *lexicon.missing["missing_ownership"]))
    return sorted(findings, key=lambda f: f.start)
