"""Charts for the operations console: pygal drawn on the server as inline SVG.

No script and nothing fetched from elsewhere: pygal's tooltips would load its script
from a CDN (`js=[]` turns them off) and it writes its configuration into a script
element of every chart (removed below), so the admin's pages stay self-contained;
every chart is shown with its figures in a table beside it.
"""

from collections.abc import Sequence
from xml.etree import ElementTree

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import DefaultStyle

_CONFIG = {
    "js": [],
    "width": 900,
    "height": 300,
    "x_label_rotation": 30,
    "show_minor_x_labels": False,
    "legend_at_bottom": True,
    "truncate_legend": -1,
    "print_values": False,
    "style": DefaultStyle(background="transparent", plot_background="transparent"),
}


def _render(chart, x_labels: Sequence[str], series: dict[str, list]) -> SafeString:
    chart.x_labels = x_labels
    # A dozen labelled days at most: a quarter's ninety labels would overlap.
    chart.x_labels_major = list(x_labels[:: max(1, len(x_labels) // 12)])
    for name, values in series.items():
        chart.add(name, values)
    svg = chart.render_tree()
    for parent in svg.iter():
        for child in list(parent):
            if child.tag == "script":
                parent.remove(child)
    # Serialized from a tree, the labels and titles are escaped: the SVG is ours to inline.
    return mark_safe(ElementTree.tostring(svg, encoding="unicode"))  # noqa: S308


def bar_chart(title: str, x_labels: Sequence[str], series: dict[str, list]) -> SafeString:
    return _render(pygal.Bar(title=title, **_CONFIG), x_labels, series)


def percent_chart(title: str, x_labels: Sequence[str], series: dict[str, list]) -> SafeString:
    """Lines of percentages on a 0-100 axis; None leaves a gap (nothing to divide)."""
    chart = pygal.Line(
        title=title,
        range=(0, 100),
        value_formatter=lambda value: f"{value:.1f} %",
        allow_interruptions=True,
        **_CONFIG,
    )
    return _render(chart, x_labels, series)
