"""Storage analytics over an inventory: usage by dimension, cost at list prices, forecast."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import stats

from analytics.inventory import StoredObject
from analytics.storage_classes import UnpricedStorageClassError
from stacks.settings import PriceTable

GIB = 1024**3


@dataclass(frozen=True)
class Usage:
    """Bytes and objects under one value of a dimension."""

    name: str
    bytes: int
    objects: int


def usage_by(objects: Sequence[StoredObject], key: Callable[[StoredObject], str]) -> list[Usage]:
    """Usage grouped by `key`, largest first."""
    sizes: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for obj in objects:
        sizes[key(obj)] += obj.size
        counts[key(obj)] += 1
    return sorted(
        (Usage(name, sizes[name], counts[name]) for name in sizes), key=lambda u: (-u.bytes, u.name)
    )


@dataclass(frozen=True)
class CostCell:
    """Monthly storage cost of one bucket's bytes in one class."""

    bucket: str
    storage_class: str
    bytes: int
    usd_month: float


def cost_breakdown(objects: Sequence[StoredObject], prices: PriceTable) -> list[CostCell]:
    """Monthly storage cost per bucket and storage class at list prices."""
    sizes: dict[tuple[str, str], int] = defaultdict(int)
    for obj in objects:
        sizes[(obj.bucket, obj.storage_class)] += obj.size
    cells = []
    for (bucket, storage_class), size in sorted(sizes.items()):
        price = prices.storage_gb_month.get(storage_class)
        if price is None:
            raise UnpricedStorageClassError(
                f"no storage price for {storage_class}: add it to prices.storage_gb_month"
            )
        cells.append(CostCell(bucket, storage_class, size, size / GIB * price))
    return cells


def daily_totals(objects: Sequence[StoredObject]) -> tuple[list[date], list[int]]:
    """Cumulative stored bytes at the end of each day from the first upload to the last."""
    if not objects:
        return [], []
    per_day: dict[date, int] = defaultdict(int)
    for obj in objects:
        per_day[obj.created] += obj.size
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    totals = np.cumsum([per_day.get(day, 0) for day in days])
    return days, [int(v) for v in totals]


@dataclass(frozen=True)
class Forecast:
    """Linear growth fitted to daily totals, projected with a prediction interval."""

    slope_per_day: float
    intercept: float
    days_ahead: list[int]
    """Offsets (in days after the last observed day) of the projection."""
    predicted: list[float]
    lower: list[float]
    upper: list[float]
    confidence: float


def forecast(totals: Sequence[float], horizon_days: int, confidence: float = 0.9) -> Forecast:
    """Ordinary least squares on (day index, total) with the classic prediction interval.

    interval = t_{n-2} * s * sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx); needs >= 3 points.
    """
    y = np.asarray(totals, dtype=float)
    n = len(y)
    if n < 3:
        raise ValueError(f"a forecast needs at least 3 daily totals, got {n}")
    x = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    s = float(np.sqrt(residuals @ residuals / (n - 2)))
    sxx = float(((x - x.mean()) ** 2).sum())
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 2))
    ahead = list(range(1, horizon_days + 1))
    x0 = n - 1 + np.asarray(ahead, dtype=float)
    predicted = slope * x0 + intercept
    half = t * s * np.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / sxx)
    return Forecast(
        float(slope), float(intercept), ahead, predicted.tolist(),
        (predicted - half).tolist(), (predicted + half).tolist(), confidence,
    )  # fmt: skip
