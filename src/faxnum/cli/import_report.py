"""How an import looks in the terminal: a progress bar with rows/s and a summary table."""

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from faxnum.services.inventory_import import ImportReport


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="progress.data.speed")


def import_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        RowsPerSecond(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def import_summary(report: ImportReport, seconds: float, rejects_path: Path) -> Table:
    table = Table(title="Import summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("rows read", str(report.rows))
    table.add_row("DIDs added", str(report.added))
    table.add_row("already in inventory", str(report.existing))
    table.add_row("DID groups created", str(report.groups_created))
    table.add_row("rows rejected", str(len(report.rejected)))
    for reason, count in Counter(_reason_kind(r.reason) for r in report.rejected).most_common():
        table.add_row(f"  {reason}", str(count))
    if report.rejected:
        table.add_row("rejects written to", str(rejects_path))
    table.add_row("rows/s", f"{report.rows / seconds:,.0f}" if seconds > 0 else "-")
    if report.rows and not report.added and not report.rejected:
        table.caption = "Nothing new: every number was already in inventory."
    return table


def _reason_kind(reason: str) -> str:
    return "duplicate in file" if reason.startswith("duplicate of line") else reason.split(" (")[0]
