"""A campaign report for people: a plain-text table, and one self-contained HTML page.

The page needs nothing but itself: inline SVG for the charts, inline CSS, no script, nothing
fetched. Every text from outside (the journal's name, the gateway's error titles) is escaped.
It is well-formed XML too, so that any XML tool can read it.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ivowaba.outcomes._report import CampaignReport

#: The histograms' bins: upper bounds in seconds (the last one open), and their labels.
LATENCY_BINS: Final = (
    (1.0, "< 1 s"),
    (5.0, "1-5 s"),
    (15.0, "5-15 s"),
    (60.0, "15 s-1 min"),
    (300.0, "1-5 min"),
    (900.0, "5-15 min"),
    (3600.0, "15 min-1 h"),
    (6 * 3600.0, "1-6 h"),
    (24 * 3600.0, "6-24 h"),
    (float("inf"), "24 h or more"),
)

_COLORS: Final = {
    "rows": "#5b6770",
    "accepted": "#3a6ea5",
    "delivered": "#2e8b57",
    "read": "#1f6f43",
    "failed": "#c0392b",
    "pending": "#d4a017",
    "unknown": "#8e44ad",
    "not_sent": "#7f8c8d",
    "opted_out": "#a0522d",
    "window_closed": "#b9770e",
    "not_attempted": "#aab7b8",
}
_LABELS: Final = {
    "rows": "rows",
    "accepted": "accepted",
    "delivered": "delivered (or read)",
    "read": "read",
    "failed": "failed",
    "pending": "pending (no final status yet)",
    "unknown": "unknown (may have been sent)",
    "not_sent": "not sent",
    "opted_out": "skipped: opted out",
    "window_closed": "skipped: window closed",
    "not_attempted": "not attempted yet",
}


def _counts(report: CampaignReport) -> list[tuple[str, int, int]]:
    """``(key, count, indent)`` of every line of the table, in order."""
    lines = [
        ("rows", report.rows, 0),
        ("accepted", report.accepted, 0),
        ("delivered", report.delivered, 1),
        ("read", report.read, 2),
        ("failed", sum(report.failed.values()), 1),
        ("pending", report.pending, 1),
        ("unknown", report.unknown, 0),
        ("not_sent", report.not_sent, 0),
        ("opted_out", report.opted_out, 0),
        ("window_closed", report.window_closed, 0),
    ]
    if report.not_attempted:
        lines.append(("not_attempted", report.not_attempted, 0))
    return lines


def _percent(count: int, total: int) -> str:
    return f"{100 * count / total:5.1f}%" if total else ""


def text_table(report: CampaignReport) -> str:
    """The counts as a readable table, failures by code with their titles."""
    name = report.journal.name if report.journal is not None else "campaign"
    out = [f"Campaign report: {name}"]
    for key, count, indent in _counts(report):
        label = "  " * indent + _LABELS[key].split(" (")[0]
        out.append(f"  {label:<24}{count:>9,}  {_percent(count, report.rows)}".rstrip())
        if key == "failed":
            for code, n in report.failed.items():
                title = report.failure_titles.get(code, "")
                out.append(f"      {code:<20}{n:>9,}  {title}".rstrip())
    for what, seconds in (
        ("sent -> delivered", report.delivery_latencies),
        ("sent -> read", report.read_latencies),
    ):
        if seconds:
            out.append(f"  {what}: {_summary(seconds)}")
    return "\n".join(out)


def _summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"median {_duration(statistics.median(ordered))}, 90% within {_duration(p90)} "
        f"({len(ordered):,} messages)"
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# -- HTML ------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: .25em .75em; text-align: left; }
th { border-bottom: 1px solid #999; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f4f6f7; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: #222; }
.note { color: #555; }
"""


def html_page(report: CampaignReport, title: str | None = None) -> str:
    """The report as one HTML page (see the module's docstring)."""
    name = report.journal.name if report.journal is not None else "campaign"
    heading = title if title is not None else f"Campaign report: {name}"
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        f"<title>{escape(heading)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(heading)}</h1>",
        f'<p class="note">{report.rows:,} rows; made {escape(made)}.</p>',
        "<h2>Funnel</h2>",
        _funnel(report),
        "<h2>Time from sent to delivered</h2>",
        _histogram(report.delivery_latencies, _COLORS["delivered"], "delivered"),
        "<h2>Time from sent to read</h2>",
        _histogram(report.read_latencies, _COLORS["read"], "read"),
        "<h2>Failures by code</h2>",
        _failures(report),
        "<h2>Counts</h2>",
        _count_table(report),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _funnel(report: CampaignReport) -> str:
    lines = _counts(report)
    width, label_width, bar_width, row_height = 720, 220, 400, 26
    top = max(report.rows, *(count for _, count, _ in lines), 1)
    height = row_height * len(lines) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="the funnel">'
    ]
    for i, (key, count, indent) in enumerate(lines):
        y = 5 + i * row_height
        length = round(bar_width * count / top, 1)
        label = _LABELS[key]
        out.append(
            f'<text x="{4 + 14 * indent}" y="{y + 16}">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="{row_height - 8}" '
            f'fill="{_COLORS[key]}"><title>{escape(label)}: {count:,}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 16}">{count:,}'
            f"{_in_parentheses(_percent(count, report.rows))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _in_parentheses(percent: str) -> str:
    return f" ({percent.strip()})" if percent else ""


def _bins(seconds: list[float]) -> list[int]:
    counts = [0] * len(LATENCY_BINS)
    for value in seconds:
        for i, (upper, _) in enumerate(LATENCY_BINS):
            if value < upper:
                counts[i] += 1
                break
    return counts


def _histogram(seconds: list[float], color: str, what: str) -> str:
    if not seconds:
        return f'<p class="note">No message was {escape(what)} (or no time was recorded).</p>'
    counts = _bins(seconds)
    width, height, left, bottom, column = 720, 220, 40, 40, 66
    top = max(counts)
    plot = height - bottom - 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="messages by time from sent to {escape(what)}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#999"/>',
    ]
    for i, ((_, label), count) in enumerate(zip(LATENCY_BINS, counts, strict=True)):
        x = left + i * column
        bar = round(plot * count / top, 1)
        y = height - bottom - bar
        out.append(
            f'<rect x="{x + 6}" y="{y}" width="{column - 12}" height="{bar}" fill="{color}">'
            f"<title>{escape(label)}: {count:,}</title></rect>"
            f'<text x="{x + column / 2}" y="{y - 4}" text-anchor="middle">{count:,}</text>'
            f'<text x="{x + column / 2}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</svg>")
    out.append(f'<p class="note">{escape(_summary(seconds))}.</p>')
    return "".join(out)


def _failures(report: CampaignReport) -> str:
    if not report.failed:
        return '<p class="note">No message failed.</p>'
    rows = "".join(
        f'<tr><td>{escape(code)}</td><td class="n">{count:,}</td>'
        f"<td>{escape(report.failure_titles.get(code, ''))}</td></tr>"
        for code, count in report.failed.items()
    )
    return f"<table><tr><th>code</th><th>messages</th><th>title</th></tr>{rows}</table>"


def _count_table(report: CampaignReport) -> str:
    rows = "".join(
        f'<tr><td>{escape(_LABELS[key])}</td><td class="n">{count:,}</td>'
        f'<td class="n">{escape(_percent(count, report.rows).strip())}</td></tr>'
        for key, count, _ in _counts(report)
    )
    return f"<table><tr><th>state</th><th>rows</th><th>of all rows</th></tr>{rows}</table>"
