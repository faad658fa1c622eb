"""Monthly cost of a stack for a stated workload, with and without each optimisation.

Pure functions over `Workload`, the stack's `Settings` (bucket tiers, price table) and a set
of enabled optimisations. List prices only; what is left out is stated in
docs/cost-model.md (retrieval and transition fees, minimum storage durations, taxes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from analytics.storage_classes import class_mix, price_per_gb_month
from analytics.workload import Workload
from stacks.settings import BucketRole, BucketSettings, PriceTable, Settings

MB_PER_GB = 1024
DERIVATIVE_FILES_PER_TRACK = 12
"""Ladder variants, HLS playlists and cover variants PUT per new track."""


class Optimisation(StrEnum):
    """The optimisations the platform applies, each of which the model can switch off."""

    TIERS = "tiers"
    DEDUP = "dedup"
    FLAC = "flac"
    WEBP = "webp"
    CDN = "cdn"


ALL = frozenset(Optimisation)
NOT_ASSUMPTIONS = frozenset({"days_per_month"})
"""Workload keys that are units, not assumptions (never reported as drivers)."""
NONE: frozenset[Optimisation] = frozenset()


@dataclass(frozen=True)
class CostLine:
    """One line of the bill: quantity x unit price."""

    item: str
    quantity: float
    unit: str
    unit_usd: float

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd


@dataclass(frozen=True)
class Estimate:
    """A monthly bill for one set of optimisations."""

    enabled: frozenset[Optimisation]
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def line(self, item: str) -> CostLine:
        return next(line for line in self.lines if line.item == item)


@dataclass(frozen=True)
class Saving:
    """What one optimisation saves: alone (from nothing) and last (from everything else)."""

    optimisation: Optimisation
    alone_usd: float
    """Baseline total minus the total with only this optimisation."""
    last_usd: float
    """Total with all but this optimisation minus the total with all."""
    drivers: tuple[tuple[str, float], ...]
    """Workload keys whose +10 % moves `alone_usd` most, with that change in USD."""


def storage_price(
    bucket: BucketSettings, workload: Workload, prices: PriceTable, tiers: bool
) -> float:
    """$/GB-month of a bucket: its tiers' class mix, or all STANDARD without tiers."""
    if not tiers:
        return prices.storage_gb_month["STANDARD"]
    mix = class_mix(bucket, workload.catalogue_age_days, workload.cold_share)
    return price_per_gb_month(mix, prices)


def stored_gb(workload: Workload, enabled: frozenset[Optimisation]) -> dict[BucketRole, float]:
    """GB held per bucket during the month (the catalogue plus half a month of uploads)."""
    tracks = workload.catalogue_tracks + workload.uploads_per_day * workload.days_per_month / 2
    unique = 1 - workload.duplicate_share if Optimisation.DEDUP in enabled else 1.0
    stems = tracks * workload.stem_track_share * workload.stems_per_track * workload.stem_mb
    if Optimisation.FLAC in enabled:
        stems *= workload.flac_ratio
    derivatives = workload.derivatives_mb_per_track
    if Optimisation.WEBP in enabled:
        derivatives += workload.cover_variants_mb
    return {
        BucketRole.MASTERS: tracks * (workload.master_mb + workload.cover_mb) * unique / MB_PER_GB,
        BucketRole.STEMS: stems / MB_PER_GB,
        BucketRole.DERIVATIVES: tracks * derivatives / MB_PER_GB,
    }


def served_gb(workload: Workload, enabled: frozenset[Optimisation]) -> float:
    """GB delivered to listeners per month: streams plus cover views."""
    cover_mb = workload.cover_view_webp_mb if Optimisation.WEBP in enabled else workload.cover_mb
    per_play = workload.play_mb + workload.cover_views_per_play * cover_mb
    return workload.plays_per_day * workload.days_per_month * per_play / MB_PER_GB


def estimate(
    workload: Workload, settings: Settings, enabled: Iterable[Optimisation] = ALL
) -> Estimate:
    """The monthly bill of `settings`' stack under `workload` with `enabled` optimisations."""
    enabled = frozenset(enabled)
    prices = settings.prices
    lines = [
        CostLine(
            f"storage {role.value}",
            gb,
            "GB-month",
            storage_price(
                settings.storage.buckets[role], workload, prices, Optimisation.TIERS in enabled
            ),
        )
        for role, gb in stored_gb(workload, enabled).items()
    ]
    served = served_gb(workload, enabled)
    cdn = Optimisation.CDN in enabled
    origin_share = 1 - workload.hit_ratio if cdn else 1.0
    lines.append(CostLine("origin egress", served * origin_share, "GB", prices.egress_gb))
    if cdn:
        lines.append(CostLine("edge egress", served, "GB", prices.cdn_egress_gb))
    requests = workload.plays_per_day * (1 + workload.cover_views_per_play)
    lines.append(
        CostLine(
            "GET requests",
            requests * workload.days_per_month * origin_share / 1000,
            "1000 requests",
            prices.get_per_1000,
        )
    )
    files = 2 + workload.stem_track_share * workload.stems_per_track + DERIVATIVE_FILES_PER_TRACK
    lines.append(
        CostLine(
            "PUT requests",
            workload.uploads_per_day * workload.days_per_month * files / 1000,
            "1000 requests",
            prices.put_per_1000,
        )
    )
    return Estimate(enabled, tuple(lines))


def _saving_alone(workload: Workload, settings: Settings, opt: Optimisation) -> float:
    return estimate(workload, settings, NONE).total - estimate(workload, settings, {opt}).total


def drivers(
    workload: Workload, settings: Settings, opt: Optimisation, top: int = 3
) -> tuple[tuple[str, float], ...]:
    """The workload keys whose +10 % changes the saving of `opt` (alone) most, in USD."""
    base = _saving_alone(workload, settings, opt)
    effects = []
    for name, field in Workload.model_fields.items():
        value = getattr(workload, name)
        if name in NOT_ASSUMPTIONS:
            continue
        if not isinstance(value, int | float) or value == 0:
            continue
        bumped = value * 1.1
        if any(getattr(m, "le", None) == 1 for m in field.metadata):
            bumped = min(bumped, 1.0)
        if isinstance(value, int):
            bumped = round(bumped)
        changed = workload.model_copy(update={name: bumped})
        delta = _saving_alone(changed, settings, opt) - base
        if abs(delta) > 1e-9 * max(1.0, abs(base)):
            effects.append((name, delta))
    effects.sort(key=lambda item: -abs(item[1]))
    return tuple(effects[:top])


def savings(workload: Workload, settings: Settings) -> list[Saving]:
    """Per optimisation: the saving alone and as the last one added, and what drives it."""
    full = estimate(workload, settings, ALL).total
    return [
        Saving(
            opt,
            _saving_alone(workload, settings, opt),
            estimate(workload, settings, ALL - {opt}).total - full,
            drivers(workload, settings, opt),
        )
        for opt in Optimisation
    ]
