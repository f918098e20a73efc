"""A bar chart as inline SVG markup, drawn on the server: no script, no CDN."""

from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 220, 16, 28, 36


def bar_chart(days: list[tuple[date, int]], title: str) -> Markup:
    """One bar per day, the largest count labelled on the axis; the title is the
    chart's accessible name (the page also has the numbers as a table)."""
    peak = max((count for _, count in days), default=0) or 1
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / max(1, len(days))
    bars = []
    for i, (day, count) in enumerate(days):
        height = plot_height * count / peak
        x, y = LEFT + i * step, TOP + plot_height - height
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
            f'height="{height:.1f}"><title>{day.isoformat()}: {count}</title></rect>'
        )
    first = days[0][0].isoformat() if days else ""
    last = days[-1][0].isoformat() if days else ""
    return Markup(  # noqa: S704 (every value in it is a number or an ISO date)
        f'<svg class="chart" role="img" aria-labelledby="chart-title" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<text x="0" y="{TOP + 4}">{peak}</text><text x="0" y="{TOP + plot_height}">0</text>'
        f'<line x1="{LEFT - 4}" y1="{TOP + plot_height}" x2="{WIDTH}" y2="{TOP + plot_height}" '
        f'stroke="#4a4a4a"/>{"".join(bars)}'
        f'<text x="{LEFT}" y="{HEIGHT - 8}">{first}</text>'
        f'<text x="{WIDTH - 80}" y="{HEIGHT - 8}">{last}</text></svg>'
    )
