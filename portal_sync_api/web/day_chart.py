"""The geometry of the day page's bar chart: passes per 10 minutes of one service, drawn
by the template as inline SVG (no script, no inline style: colours come from
``portail.css``). Pure functions; the figures themselves come from
:mod:`portal_sync_api.crud.day`."""

from __future__ import annotations

from dataclasses import dataclass

from portal_sync_api.crud.day import ServicePasses
from portal_sync_api.web.format import service_label

#: Narrowest slot of a 10-minute slice, in SVG units; a bar takes 70 % of its slot.
SLOT = 22
BAR_SHARE = 0.7
#: Narrowest chart: the stylesheet stretches every chart to the column's width (up to a
#: limit), so a short service gets wider bars rather than bigger letters.
MIN_WIDTH = 420
#: Room around the plot: y-axis labels on the left, slice times below, counts above.
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 18, 26
PLOT_HEIGHT = 130
#: Steps of the y axis, the smallest giving at most four gridlines is taken.
_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    passes: int
    label: str
    end_label: str


@dataclass(frozen=True)
class Tick:
    """A label on an axis at ``position`` (x for times, y for counts)."""

    position: float
    text: str


@dataclass(frozen=True)
class Chart:
    """What the template draws for one service (``passes`` keeps the figures)."""

    passes: ServicePasses
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    baseline: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def _step(peak: int) -> int:
    return next((s for s in _STEPS if peak <= 4 * s), _STEPS[-1] * (peak // 4000 + 1))


def _description(passes: ServicePasses) -> str:
    """The chart in words (its ``<desc>``): total, span, busiest slice."""
    if not passes.slices:
        return "Aucun passage."
    first, last = passes.slices[0], passes.slices[-1]
    span = f"de {first.label} à {last.end_label}"
    if passes.total == 0:
        return f"Aucun passage {span}."
    busiest = max(passes.slices, key=lambda s: s.passes)
    plural = "s" if passes.total > 1 else ""
    return (
        f"{passes.total} passage{plural} {span}, par tranche de 10 minutes ; le plus fort : "
        f"{busiest.passes} entre {busiest.label} et {busiest.end_label}."
    )


def chart_of(passes: ServicePasses) -> Chart:
    """The bars, axes and texts of ``passes``' chart."""
    count = max(len(passes.slices), 1)
    width = max(MIN_WIDTH, LEFT + count * SLOT + RIGHT)
    slot = (width - LEFT - RIGHT) / count
    bar = slot * BAR_SHARE
    step = _step(max(passes.peak, 1))
    top_value = step * max(1, -(-max(passes.peak, 1) // step))
    baseline = TOP + PLOT_HEIGHT
    scale = PLOT_HEIGHT / top_value
    bars = []
    x_ticks = []
    for index, piece in enumerate(passes.slices):
        x = LEFT + index * slot
        height = piece.passes * scale
        bars.append(
            Bar(
                x=round(x + (slot - bar) / 2, 2),
                y=round(baseline - height, 2),
                width=round(bar, 2),
                height=round(height, 2),
                passes=piece.passes,
                label=piece.label,
                end_label=piece.end_label,
            )
        )
        if piece.start.minute % 30 == 0:
            x_ticks.append(Tick(round(x, 2), piece.label))
    y_ticks = [
        Tick(round(baseline - value * scale, 2), str(value))
        for value in range(0, top_value + 1, step)
    ]
    service = service_label(passes.service)
    return Chart(
        passes=passes,
        title=f"{service} : passages par tranche de 10 minutes",
        description=_description(passes),
        width=width,
        height=baseline + BOTTOM,
        plot_left=LEFT,
        plot_right=width - RIGHT,
        plot_top=TOP,
        baseline=baseline,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )
