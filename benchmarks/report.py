"""Results as printed tables, a Markdown table for the README, and a JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    """One measured number beside the baseline it is judged against; ratio = measured ÷ baseline."""

    label: str
    unit: str  # "calls", "s" or "rows/s": decides how the numbers are written
    measured: float
    baseline: float | None
    baseline_label: str
    remark: str = ""

    @property
    def ratio(self) -> float | None:
        return self.measured / self.baseline if self.baseline else None

    def as_json(self) -> dict:
        return {"label": self.label, "unit": self.unit, "measured": round(self.measured, 4),
                "baseline": None if self.baseline is None else round(self.baseline, 4),
                "baseline_label": self.baseline_label,
                "ratio": None if self.ratio is None else round(self.ratio, 4), "remark": self.remark}


@dataclass
class SectionResult:
    key: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long the section took, measurement and set-up

    def as_json(self) -> dict:
        return {"title": self.title, "seconds": round(self.seconds, 2),
                "rows": [dict(zip(self.headers, row, strict=True)) for row in self.rows],
                "figures": [f.as_json() for f in self.figures], "notes": self.notes}


def quantity(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MiB":
        return f"{value:,.1f} MiB"
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    return f"{value:,.0f} {unit}"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.2f}×" if ratio < 100 else f"{ratio:,.0f}×"


def cell_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def text_table(headers: list[str], rows: list[list[object]]) -> str:
    body = [[cell_text(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]
    # Columns of figures read best right-aligned, header included; text stays left-aligned.
    numeric = [all(_looks_numeric(row[i]) for row in body if row[i]) for i in range(len(headers))]

    def line(row: list[str], header: bool = False) -> str:
        return "  ".join(v.rjust(w) if (numeric[i] if header else _looks_numeric(v)) else v.ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers, header=True), rule] + [line(r) for r in body])


def _looks_numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("×", "").replace("-", "").isdigit()


def figure_line(figure: Figure) -> str:
    baseline = (f"{quantity(figure.baseline, figure.unit)} ({figure.baseline_label})" if figure.baseline is not None
                else figure.baseline_label)
    remark = f"; {figure.remark}" if figure.remark else ""
    return (f"  → {figure.label}: {quantity(figure.measured, figure.unit)} vs {baseline}"
            f" = {ratio_text(figure.ratio)}{remark}")


def render_section(result: SectionResult) -> str:
    parts = [f"== {result.title} ({result.seconds:.1f} s) ==", text_table(result.headers, result.rows), ""]
    parts += [figure_line(f) for f in result.figures]
    parts += [f"  · {note}" for note in result.notes]
    return "\n".join(parts) + "\n"


def machine_line(machine: dict) -> str:
    return (f"Machine: {machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}, "
            f"duckdb {machine['duckdb']}, prefect {machine['prefect']}, pandas {machine['pandas']}")


def render_markdown(machine: dict, results: list[SectionResult]) -> str:
    lines = [machine_line(machine) + " (replay server on loopback, recorded SCB data)", "",
             "| Benchmark | Measured | Baseline | Ratio (measured ÷ baseline) |", "|---|---:|---|---:|"]
    for figure in (f for result in results for f in result.figures):
        baseline = (f"{quantity(figure.baseline, figure.unit)} — {figure.baseline_label}"
                    if figure.baseline is not None else figure.baseline_label)
        label = f"{figure.label} ({figure.remark})" if figure.remark else figure.label
        lines.append(f"| {label} | {quantity(figure.measured, figure.unit)} | {baseline} | "
                     f"{ratio_text(figure.ratio)} |")
    return "\n".join(lines)


def results_document(machine: dict, results: list[SectionResult], total_seconds: float) -> dict:
    return {"machine": machine, "total_seconds": round(total_seconds, 2),
            "sections": {r.key: r.as_json() for r in results}}
