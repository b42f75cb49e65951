import pytest

from portal.domain.identity import sign_customer, verify_customer
from portal.domain.sites import (
    OriginError,
    category_label,
    normalize_origin,
    origin_allowed,
)

SECRET = "a" * 64


def test_signature_from_the_host_is_trusted():
    assert verify_customer(SECRET, "cust-42", sign_customer(SECRET, "cust-42"))


def test_signature_is_case_insensitive_hex():
    assert verify_customer(SECRET, "cust-42", sign_customer(SECRET, "cust-42").upper())


@pytest.mark.parametrize(
    ("customer_id", "signature"),
    [
        ("cust-43", sign_customer(SECRET, "cust-42")),  # signed for someone else
        ("cust-42", sign_customer("b" * 64, "cust-42")),  # another site's secret
        ("cust-42", None),
        (None, sign_customer(SECRET, "cust-42")),
        ("cust-42", "not-hex"),
    ],
)
def test_anything_but_the_exact_signature_is_not_trusted(customer_id, signature):
    assert not verify_customer(SECRET, customer_id, signature)


def test_origins_are_normalised():
    assert normalize_origin("HTTPS://Shop.Example:443/basket?x=1") == "https://shop.example"
    assert normalize_origin("http://localhost:8080/") == "http://localhost:8080"


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://x.example", "shop.example", ""])
def test_non_http_origins_are_refused(bad):
    with pytest.raises(OriginError):
        normalize_origin(bad)


def test_origin_check():
    allowed = ["https://shop.example"]
    own = "http://mend.local:8000"
    assert origin_allowed("https://shop.example", allowed, own)
    assert origin_allowed(None, allowed, own)  # not a browser form
    assert origin_allowed("http://mend.local:8000", allowed, own)  # the panel posts to itself
    assert not origin_allowed("https://evil.example", allowed, own)
    assert not origin_allowed("null", allowed, own)
    assert origin_allowed("https://anything.example", ["*"], own)


def test_category_label_falls_back_to_the_slug():
    categories = [{"slug": "delivery", "label": "Late delivery"}]
    assert category_label(categories, "delivery") == "Late delivery"
    assert category_label(categories, "gone") == "gone"
