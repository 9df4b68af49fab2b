"""What the counted Firestore operations cost at list prices, and how far the free tier goes.

Prices: Firestore Standard edition, multi-region ``eur3`` (Europe), the deploy's default
location (README, Deploy), in US dollars per 100,000 documents. Source:
https://cloud.google.com/firestore/pricing ("Pricing by location"), and the multi-region rates
as https://firebase.google.com/docs/firestore/pricing lists them (reads $0.06, writes $0.18,
deletes $0.02). The copy of the first page looked up when this was written did not show the
per-location table itself, only that a table per location applies: check the eur3 row there
before quoting these figures as a bill. Free tier, per day, for one database per project:
50,000 document reads, 20,000 writes and 20,000 deletes (same page, "Free quota"); TTL deletes
are excluded from it ("The following operations and features do not include free usage: ...
TTL deletes"), so they are paid from the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_URL = "https://cloud.google.com/firestore/pricing"
LOCATION = "eur3"
USD_PER_100K_READS = 0.06
USD_PER_100K_WRITES = 0.18
USD_PER_100K_DELETES = 0.02  # TTL deletes are billed as deletes
FREE_READS_PER_DAY = 50_000
FREE_WRITES_PER_DAY = 20_000
FREE_DELETES_PER_DAY = 20_000  # not for TTL deletes


@dataclass(frozen=True)
class Usage:
    reads: float
    writes: float
    deletes: float
    ttl_deletes: float = 0

    def __mul__(self, factor: float) -> Usage:
        return Usage(
            self.reads * factor,
            self.writes * factor,
            self.deletes * factor,
            self.ttl_deletes * factor,
        )


def price(usage: Usage) -> dict[str, float]:
    """Dollars by kind of operation, and their total, with nothing free."""
    costs = {
        "writes": usage.writes * USD_PER_100K_WRITES / 100_000,
        "reads": usage.reads * USD_PER_100K_READS / 100_000,
        "deletes": usage.deletes * USD_PER_100K_DELETES / 100_000,
        "TTL deletes": usage.ttl_deletes * USD_PER_100K_DELETES / 100_000,
    }
    return {**costs, "total": sum(costs.values())}


@dataclass(frozen=True)
class FreeTier:
    journeys: int  # per day, whole journeys, inside every free quota
    first_out: str  # the quota that runs out first
    by_quota: dict[str, int]  # journeys per day each quota alone would allow


def free_tier(journey: Usage, fixed_per_day: Usage) -> FreeTier:
    """Journeys a day inside the free tier, after what runs every day whatever the traffic
    (``fixed_per_day``: the scheduled sweep and housekeeping). TTL deletes do not count: they
    are never free, so they cost from the first journey whatever this says."""
    quotas = {
        "reads": (FREE_READS_PER_DAY - fixed_per_day.reads, journey.reads),
        "writes": (FREE_WRITES_PER_DAY - fixed_per_day.writes, journey.writes),
        "deletes": (FREE_DELETES_PER_DAY - fixed_per_day.deletes, journey.deletes),
    }
    by_quota = {
        name: int(max(left, 0) // per_journey) if per_journey > 0 else -1
        for name, (left, per_journey) in quotas.items()
    }
    limited = {name: value for name, value in by_quota.items() if value >= 0}
    if not limited:
        return FreeTier(-1, "none", by_quota)
    first_out = min(limited, key=lambda name: limited[name])
    return FreeTier(limited[first_out], first_out, by_quota)


def runs_per_day(cron: str | None) -> int | None:
    """How often a Cloud Scheduler job with this cron schedule runs a day; None if it is not
    a daily pattern of minutes and hours (day, month and weekday all ``*``)."""
    if not cron:
        return None
    fields = cron.split()
    if len(fields) != 5 or any(field != "*" for field in fields[2:]):
        return None
    minutes, hours = _matches(fields[0], 60), _matches(fields[1], 24)
    if minutes is None or hours is None:
        return None
    return minutes * hours


def _matches(field: str, size: int) -> int | None:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if base == "*":
            low, high = 0, size - 1
        elif base.isdigit():
            low = int(base)
            high = size - 1 if step_text else low
        elif "-" in base and all(side.isdigit() for side in base.split("-", 1)):
            low, high = (int(side) for side in base.split("-", 1))
        else:
            return None
        values.update(range(low, high + 1, step))
    return len({value for value in values if 0 <= value < size})
