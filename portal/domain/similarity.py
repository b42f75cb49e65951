"""Which reports belong together: TF-IDF text similarity plus the category, page path and location.

Small and dependency-free on purpose: a site's open CAs and recent reports are hundreds, not
millions, so a sparse cosine in Python answers in milliseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

# How much each signal counts; text dominates, the context breaks ties between similar wordings.
TEXT_WEIGHT, CATEGORY_WEIGHT, PATH_WEIGHT, LOCATION_WEIGHT = 0.6, 0.2, 0.15, 0.05
# A report this close to a CA is treated as the same failure (it reopens a CA under verification).
# On the labelled corpus: 59 % of true pairs reach it, 1 of 1,800 wrong pairs does.
STRONG_MATCH = 0.5

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "didnt",
        "do",
        "does",
        "doesnt",
        "dont",
        "even",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "i",
        "if",
        "im",
        "in",
        "into",
        "is",
        "it",
        "its",
        "ive",
        "just",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "once",
        "one",
        "only",
        "or",
        "our",
        "out",
        "so",
        "still",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "though",
        "to",
        "too",
        "up",
        "us",
        "was",
        "wasnt",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
    ]
)
_NUMERIC_SEGMENT = re.compile(r"^(?=.*\d)[\w-]+$")


def _stem(word: str) -> str:
    """A light suffix strip, enough to meet "delivered"/"delivery", "eggs"/"egg", "charged"/"charge"."""
    for suffix in ("ing", "ies", "ed", "es", "s", "y", "e"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The words that carry meaning, lower-cased and stemmed."""
    return [
        _stem(w) for w in _WORD.findall((text or "").lower().replace("'", "")) if w not in _STOP and not w.isdigit()
    ]


def page_path(url: str | None) -> str:
    """A page's path with ids folded, so /orders/40097 and /orders/40194 are the same page."""
    if not url:
        return ""
    path = urlsplit(url).path.rstrip("/") or "/"
    return "/".join(":id" if _NUMERIC_SEGMENT.match(part) else part for part in path.split("/"))


K = TypeVar("K")  # what a Doc is known by: a report's or a CA's id


@dataclass(frozen=True)
class Doc(Generic[K]):
    """Something to compare: a report, or a CA with everything linked to it."""

    key: K
    text: str
    category: str | None = None
    paths: frozenset[str] = field(default_factory=frozenset)
    locations: frozenset[str] = field(default_factory=frozenset)


def report_doc(key: K, description: str, category: str | None, page_url: str | None, location: str | None) -> Doc[K]:
    """A report as a Doc."""
    return Doc(key, description, category, frozenset({page_path(page_url)} - {""}), frozenset({location or ""} - {""}))


def ca_doc(key: K, title: str, problem: str, category: str | None, linked: Sequence[Doc[Any]]) -> Doc[K]:
    """A CA as a Doc: its own words and its linked reports' words, pages and locations."""
    return Doc(
        key,
        " ".join([title, problem, *(d.text for d in linked)]),
        category,
        frozenset().union(*(d.paths for d in linked)) if linked else frozenset(),
        frozenset().union(*(d.locations for d in linked)) if linked else frozenset(),
    )


class Index(Generic[K]):
    """TF-IDF vectors for a set of documents, weighted by how rare each term is among them."""

    def __init__(self, docs: Iterable[Doc[K]]) -> None:
        self.docs = list(docs)
        counts = [Counter(terms(d.text)) for d in self.docs]
        df = Counter(t for c in counts for t in c)
        n = len(self.docs) + 1
        self._idf = {t: math.log(n / (1 + f)) + 1 for t, f in df.items()}
        self._vectors = [self._vector(c) for c in counts]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        weights = {t: (1 + math.log(c)) * self._idf.get(t, math.log(len(self.docs) + 1) + 1) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def rank(self, query: Doc[Any], *, k: int = 3, exclude: Iterable[object] = ()) -> list[tuple[Doc[K], float]]:
        """The `k` documents most like `query`, best first, with their scores (0–1)."""
        q = self._vector(Counter(terms(query.text)))
        skip = set(exclude)
        scored = [
            (doc, similarity(q, vector, query, doc))
            for doc, vector in zip(self.docs, self._vectors, strict=True)
            if doc.key not in skip
        ]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:k]

    def score(self, query: Doc[Any], key: K) -> float:
        """How much `query` looks like the indexed document known by `key`: the score `rank` gives that pair.

        A score depends on the index's term weights, so one pair scores the same everywhere only when
        it is always asked of the same index (and always with the report as the query).
        """
        q = self._vector(Counter(terms(query.text)))
        [(doc, vector)] = [(d, v) for d, v in zip(self.docs, self._vectors, strict=True) if d.key == key]
        return similarity(q, vector, query, doc)


def similarity(q: dict[str, float], v: dict[str, float], query: Doc[Any], doc: Doc[Any]) -> float:
    """Weighted sum of text cosine and matching category, page path and location."""
    cosine = sum(w * v.get(t, 0.0) for t, w in q.items())
    return (
        TEXT_WEIGHT * cosine
        + CATEGORY_WEIGHT * (query.category is not None and query.category == doc.category)
        + PATH_WEIGHT * bool(query.paths & doc.paths)
        + LOCATION_WEIGHT * bool(query.locations & doc.locations)
    )
