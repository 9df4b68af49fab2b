"""The bench's arithmetic: list prices, the free tier, the schedules, the table's lines."""

from __future__ import annotations

import pytest

from bench.cost import Usage, free_tier, price, runs_per_day
from bench.figures import Table, quantile


def test_the_issues_hand_count_gives_its_figures():
    # Issue 10: 35 writes, 7 deletes and 13 reads a journey: about $0.07 per 1,000 journeys,
    # and 571 journeys a day inside the free tier, writes running out first.
    journey = Usage(reads=13, writes=35, deletes=7)
    assert price(journey * 1000)["total"] == pytest.approx(0.0722)
    tier = free_tier(journey, fixed_per_day=Usage(0, 0, 0))
    assert (tier.journeys, tier.first_out) == (571, "writes")


def test_what_runs_every_day_comes_off_the_free_tier_first():
    tier = free_tier(Usage(reads=10, writes=1, deletes=0), fixed_per_day=Usage(672, 0, 0))
    assert tier.first_out == "reads"
    assert tier.journeys == (50_000 - 672) // 10
    assert tier.by_quota["deletes"] == -1  # no deletes: no limit from that quota


def test_ttl_deletes_are_priced_but_never_free():
    journey = Usage(reads=1, writes=1, deletes=0, ttl_deletes=100)
    assert price(journey)["TTL deletes"] == pytest.approx(100 * 0.02 / 100_000)
    assert free_tier(journey, Usage(0, 0, 0)).first_out in ("reads", "writes")


@pytest.mark.parametrize(
    ("cron", "runs"),
    [
        ("*/5 * * * *", 288),  # the mail sweep (infra/functions.py)
        ("17 * * * *", 24),  # housekeeping
        ("0,30 8-17 * * *", 20),
        ("0 3 * * 1", None),  # weekly: not a daily pattern
        (None, None),
    ],
)
def test_runs_per_day_of_a_schedule(cron, runs):
    assert runs_per_day(cron) == runs


def test_quantiles_interpolate_and_lines_split_at_their_first_colon():
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile(list(map(float, range(101))), 0.99) == 99.0
    table = Table()
    table.add("Firestore writes per journey", "22", "sign-up 4: see above")
    assert table.render() == "Firestore writes per journey: 22 (sign-up 4: see above)"
    with pytest.raises(ValueError):
        table.add("cold start: signup", "1.1×")


def test_a_cold_start_line_says_whether_it_meets_the_goal():
    from bench.cold_start import ColdStarts, report

    table = Table()
    report(
        table,
        [
            ColdStarts("signup", function=[1.10, 1.099, 1.5], floor=[1.0, 1.0, 1.0]),
            ColdStarts("overview", function=[1.12, 1.13, 0.9], floor=[1.0, 1.0, 1.0]),
        ],
    )
    signup, overview = table.render().splitlines()
    assert signup.startswith("cold start signup: 1.10× floor (goal ≤ 1.10× met; ")
    assert overview.startswith("cold start overview: 1.12× floor (goal ≤ 1.10× MISSED; ")
