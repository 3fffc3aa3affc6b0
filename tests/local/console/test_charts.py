"""Metric graphs: points inside the plot, a threshold line, an accessible title, no inline style."""

from __future__ import annotations

import re

from local.console.charts import H, W, line_chart
from local.console.sources import Series


def test_a_series_is_drawn_within_the_plot_with_its_threshold() -> None:
    series = Series("Throttles (Sum)", "Count", ((1000.0, 0.0), (1060.0, 5.0), (1120.0, 2.0)))
    picture = line_chart(series, 1000.0, 1180.0, threshold=3.0, chart_id="c")
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', picture)[1].split()]  # type: ignore[index]
    assert len(points) == 3
    assert all(0 <= x <= W and 0 <= y <= H for x, y in points)
    assert points[1][1] < points[2][1] < points[0][1]  # 5 above 2 above 0
    assert 'class="threshold"' in picture
    assert '<title id="c">Throttles (Sum): latest 2 Count, max 5 Count' in picture
    assert "style=" not in picture


def test_no_datapoints_says_so() -> None:
    picture = line_chart(Series("Errors (Sum)", "", ()), 0.0, 60.0, chart_id="e")
    assert "no datapoints" in picture
    assert "polyline" not in picture
