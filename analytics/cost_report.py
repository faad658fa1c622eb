"""Text rendering of a cost estimate and its savings (what `mediainfra cost` prints)."""

from __future__ import annotations

from analytics.cost_model import Estimate, Saving
from analytics.workload import Workload

ASSUMPTIONS = (
    "list prices from the stack's price table (prices.*), no discounts, taxes or free tiers",
    "retrieval, transition and minimum-duration fees of colder classes are not counted",
    "uploads are spread evenly over catalogue_age_days; cold_share of masters/stems unread",
    "the edge (Cloudflare) serves hits at prices.cdn_egress_gb; misses leave AWS at egress_gb",
)


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def render_estimate(title: str, estimate: Estimate) -> list[str]:
    lines = [f"{title}: {_money(estimate.total)} / month"]
    for line in estimate.lines:
        lines.append(
            f"  {line.item:<22} {line.quantity:>16,.1f} {line.unit:<14} "
            f"x {line.unit_usd:<10.6g} = {_money(line.usd):>14}"
        )
    return lines


def render(
    stack: str, workload: Workload, baseline: Estimate, optimised: Estimate, savings: list[Saving]
) -> str:
    """The whole report: both bills, the saving per optimisation and its drivers."""
    out = [
        f"stack {stack}: {workload.catalogue_tracks:,} tracks, "
        f"{workload.plays_per_day:,.0f} plays/day, hit ratio {workload.hit_ratio:.0%}"
    ]
    out += render_estimate("without optimisations", baseline)
    out += render_estimate("with all optimisations", optimised)
    total = baseline.total - optimised.total
    share = total / baseline.total if baseline.total else 0.0
    out.append(f"saving: {_money(total)} / month ({share:.1%})")
    out.append("per optimisation (alone = from none; last = from all the others):")
    for saving in savings:
        drivers = ", ".join(f"{name} +10% -> {delta:+,.2f}" for name, delta in saving.drivers)
        out.append(
            f"  {saving.optimisation.value:<6} alone {_money(saving.alone_usd):>14}  "
            f"last {_money(saving.last_usd):>14}  driven by: {drivers or 'nothing'}"
        )
    out.append("assumptions:")
    out += [f"  - {text}" for text in ASSUMPTIONS]
    return "\n".join(out)
