import pytest

from portal.domain.sites import (
    SiteSettingsInvalid,
    format_categories,
    parse_categories,
    validate_site_settings,
)

VALID = {
    "name": "Northwind",
    "allowed_origins": "https://shop.example\nhttps://www.shop.example:443/",
    "categories": "delivery: Late delivery\nFitting room queue\n\n",
    "no_blame_text": "",
    "signer_name": "Dana Whitfield",
    "signer_role": "Head of Care",
    "repeat_window_days": "60",
    "first_response_minutes": "15",
    "recovery_hours": "12",
    "follow_up_hours": "3",
    "max_reports_per_minute": "200",
}


def test_valid_settings_are_normalised():
    settings = validate_site_settings(VALID)
    assert settings.allowed_origins == ["https://shop.example", "https://www.shop.example"]
    assert settings.categories == [
        {"slug": "delivery", "label": "Late delivery"},
        {"slug": "fitting-room-queue", "label": "Fitting room queue"},
    ]
    assert settings.no_blame_text is None
    assert settings.repeat_window_days == 60
    assert settings.follow_up_hours == 3
    assert settings.max_reports_per_minute == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("allowed_origins", "javascript:alert(1)"),
        ("allowed_origins", ""),
        ("categories", "  "),
        ("signer_name", ""),
        ("repeat_window_days", "0"),
        ("repeat_window_days", "ninety"),
        ("no_blame_text", "x" * 601),
        ("first_response_minutes", "0"),
        ("recovery_hours", "10000"),
        ("follow_up_hours", "0"),
        ("max_reports_per_minute", "0"),
        ("max_reports_per_minute", "lots"),
    ],
)
def test_each_mistake_names_its_field(field, value):
    with pytest.raises(SiteSettingsInvalid) as caught:
        validate_site_settings({**VALID, field: value})
    assert field in caught.value.errors


def test_categories_round_trip_and_duplicates_collapse():
    categories = parse_categories("a: One\nA: Again\nTwo")
    assert categories == [{"slug": "a", "label": "One"}, {"slug": "two", "label": "Two"}]
    assert parse_categories(format_categories(categories)) == categories
