"""Hotspots on generated data: a planted pattern is found, and pure noise stays quiet across many seeds."""

from __future__ import annotations

import random
from collections import Counter

from portal.domain.hotspots import BUSY_BANDS, Cell, band_of, find_hotspots, hour_label

LOCATIONS = {"North": 4, "South": 3, "East": 2, "West": 1}
CATEGORIES = {"delivery": 5, "website": 3, "billing": 1, "order": 2}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 8, 9, 10, 10, 8, 5, 3, 2]  # a site busier by day
WEEKDAY_WEIGHTS = [6, 6, 6, 6, 7, 9, 8]


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def report(rng: random.Random) -> dict:
    return {
        "weekday": rng.choices(range(7), WEEKDAY_WEIGHTS)[0],
        "hour": rng.choices(range(24), HOUR_WEIGHTS)[0],
        "location": pick(rng, LOCATIONS),
        "category": pick(rng, CATEGORIES),
        "busy": min(100, int(rng.betavariate(2, 3) * 100)),
    }


def cells(period: list[dict], baseline: list[dict]) -> list[Cell]:
    def keys(r: dict) -> list[tuple[str, str, str]]:
        busy = band_of(r["busy"], BUSY_BANDS)
        return [
            ("when", f"{r['weekday']}-{r['hour']}", hour_label(r["weekday"], r["hour"])),
            ("location", r["location"], r["location"]),
            ("category", r["category"], r["category"]),
            ("busy", busy, busy),
        ]

    now, before = Counter(k for r in period for k in keys(r)), Counter(k for r in baseline for k in keys(r))
    return [Cell(d, v, label, now[(d, v, label)], before[(d, v, label)]) for d, v, label in set(now) | set(before)]


def run(seed: int, plant: list[dict] | None = None, period_size: int = 600, baseline_size: int = 2400) -> list:
    rng = random.Random(seed)
    baseline = [report(rng) for _ in range(baseline_size)]
    period = [report(rng) for _ in range(period_size)] + (plant or [])
    return find_hotspots(cells(period, baseline), len(period), len(baseline))


def test_a_planted_wednesday_afternoon_is_called_out_and_nothing_else():
    rng = random.Random(7)
    plant = [{**report(rng), "weekday": 2, "hour": 15} for _ in range(25)]  # "around 3:30 on Wednesdays"
    found = run(7, plant)
    assert [h.cell.label for h in found] == ["Wednesdays 15:00–16:00"]
    assert found[0].ratio > 2
    assert found[0].p_value < 0.05 / 200


def test_planted_patterns_in_a_location_and_a_load_band_are_found():
    rng = random.Random(11)
    plant = [{**report(rng), "location": "West", "busy": rng.randint(90, 100)} for _ in range(60)]
    labels = {h.cell.label for h in run(11, plant)}
    assert {"West", "90 % busy or more"} <= labels


def test_pure_noise_rarely_calls_anything_out():
    seeds = range(200)
    false_alarms = sum(bool(run(seed)) for seed in seeds)
    print(f"\nhotspots on pure noise: {false_alarms} of {len(seeds)} seeds had any call-out")
    assert false_alarms / len(seeds) <= 0.05  # Bonferroni keeps the family-wise error under 5 %


def test_no_baseline_means_no_call_outs():
    assert find_hotspots([Cell("location", "East", "East", 40, 0)], 40, 0) == []
