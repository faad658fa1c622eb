"""Which storage classes a bucket's bytes sit in, from its lifecycle tiers and object ages.

Pure functions. Uploads are assumed spread evenly over the catalogue's age, so the share of
bytes in a class is the share of the age range the class covers. Intelligent tiering moves
only objects nobody reads: the cold share walks frequent (0-30 d) -> infrequent (30-90 d,
priced as STANDARD_IA) -> archive instant (90 d, priced as GLACIER_IR) -> the configured
archive (GLACIER) and deep archive (DEEP_ARCHIVE) tiers; the rest stays frequent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from stacks.settings import BucketSettings, PriceTable

Interval = tuple[float, float, str]
"""(from age in days, to age in days, storage class)."""

IT = "INTELLIGENT_TIERING"


class UnpricedStorageClassError(KeyError):
    """The price table has no price for a storage class the tiers use."""


def lifecycle_intervals(bucket: BucketSettings) -> list[Interval]:
    """The classes an object passes through under the bucket's transitions (all read often)."""
    bounds = [(0.0, "STANDARD")] + [(float(t.days), t.storage_class) for t in bucket.transitions]
    merged: list[tuple[float, str]] = []
    for day, storage_class in bounds:
        if merged and merged[-1][0] == day:
            merged[-1] = (day, storage_class)
        else:
            merged.append((day, storage_class))
    ends = [day for day, _ in merged[1:]] + [math.inf]
    return [(day, end, cls) for (day, cls), end in zip(merged, ends, strict=True)]


def cold_intervals(bucket: BucketSettings) -> list[Interval]:
    """Like `lifecycle_intervals`, but intelligent tiering moves the (unread) object down."""
    out: list[Interval] = []
    for start, end, storage_class in lifecycle_intervals(bucket):
        if storage_class != IT:
            out.append((start, end, storage_class))
            continue
        tiers = bucket.intelligent_tiering
        steps = [(0.0, IT), (30.0, "STANDARD_IA"), (90.0, "GLACIER_IR")]
        if tiers is not None:
            steps += [
                (float(tiers.archive_access_days), "GLACIER"),
                (float(tiers.deep_archive_access_days), "DEEP_ARCHIVE"),
            ]
        step_ends = [offset for offset, _ in steps[1:]] + [math.inf]
        for (offset, cls), step_end in zip(steps, step_ends, strict=True):
            lo, hi = start + offset, min(end, start + step_end)
            if lo < hi:
                out.append((lo, hi, cls))
    return out


def age_shares(intervals: list[Interval], age_days: float) -> dict[str, float]:
    """Share of bytes per class when object ages are uniform on [0, age_days]."""
    shares: dict[str, float] = {}
    for start, end, storage_class in intervals:
        overlap = min(end, age_days) - min(start, age_days)
        if overlap > 0:
            shares[storage_class] = shares.get(storage_class, 0.0) + overlap / age_days
    return shares


def class_mix(bucket: BucketSettings, age_days: float, cold_share: float) -> dict[str, float]:
    """Share of the bucket's bytes per storage class (sums to 1)."""
    hot = age_shares(lifecycle_intervals(bucket), age_days)
    cold = age_shares(cold_intervals(bucket), age_days)
    mix: dict[str, float] = {}
    for shares, weight in ((hot, 1 - cold_share), (cold, cold_share)):
        for storage_class, share in shares.items():
            mix[storage_class] = mix.get(storage_class, 0.0) + share * weight
    return {cls: share for cls, share in mix.items() if share > 0}


def price_per_gb_month(mix: Mapping[str, float], prices: PriceTable) -> float:
    """Blended list price of one GB-month for a class mix."""
    total = 0.0
    for storage_class, share in mix.items():
        try:
            total += share * prices.storage_gb_month[storage_class]
        except KeyError:
            raise UnpricedStorageClassError(
                f"no storage price for {storage_class}: add it to prices.storage_gb_month"
            ) from None
    return total
