"""The output formats SCB serves besides json-stat2 (``outputFormat``): csv, px, json-px, html and xlsx.

Layouts follow PxWebApi 2's serializers (PxTools/PCAxis.Serializers and PCAxis.Core): the stub variables make the
rows and the heading variables the columns; csv defaults to codes, html and xlsx to texts; ``outputFormatParams``
choose codes, texts or both, a title line and the csv separator. A missing value is written as SCB's symbol.
"""

from __future__ import annotations

import html
import io
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

CONTENT_TYPES = {
    "json-stat2": "application/json; charset=UTF-8",
    "csv": "text/csv; charset=iso-8859-1",
    "px": "application/octet-stream; charset=iso-8859-1",
    "json-px": "application/json; charset=UTF-8",
    "html": "text/html; charset=iso-8859-1",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SUFFIXES = {"json-stat2": "json", "json-px": "json", "csv": "csv", "px": "px", "html": "html", "xlsx": "xlsx"}
PARAMS = ("UseCodes", "UseTexts", "UseCodesAndTexts", "IncludeTitle", "SeparatorTab", "SeparatorSpace",
          "SeparatorSemicolon")
SEPARATORS = {"separatortab": "\t", "separatorspace": " ", "separatorsemicolon": ";"}


class FormatProblem(ValueError):
    pass


def check_params(output_format: str, params: list[str]) -> list[str]:
    """PxWebApi's rules: no parameters for px and json-stat2; separators only for csv (json-px accepts any)."""
    lowered = {p.lower(): p for p in PARAMS}
    unknown = [p for p in params if p.lower() not in lowered]
    if unknown:
        raise FormatProblem(f"outputFormatParams {unknown} are not among {list(PARAMS)}")
    if output_format in ("px", "json-stat2") and params:
        raise FormatProblem(f"outputFormat {output_format} takes no outputFormatParams")
    if output_format != "csv" and any(p.lower().startswith("separator") for p in params):
        raise FormatProblem("a separator applies to csv only")
    return [lowered[p.lower()] for p in params]


@dataclass
class Table2D:
    """A data answer laid out as SCB's serializers see it: stub values down, heading values across."""

    document: dict  # the data answer in json-stat2 (labels, units, extension)
    stub: list[str]
    heading: list[str]
    values: list[float | None]
    status: dict[str, str]

    def codes(self, variable: str) -> list[str]:
        index = self.document["dimension"][variable]["category"]["index"]
        return sorted(index, key=index.get)

    def label(self, variable: str, code: str | None = None) -> str:
        spec = self.document["dimension"][variable]
        return spec.get("label", variable) if code is None else spec["category"]["label"].get(code, code)

    @cached_property
    def _rows(self) -> list[tuple[str, ...]]:
        return list(itertools.product(*[self.codes(v) for v in self.stub]))

    @cached_property
    def _columns(self) -> list[tuple[str, ...]]:
        return list(itertools.product(*[self.codes(v) for v in self.heading]))

    def rows(self) -> list[tuple[str, ...]]:
        return self._rows

    def columns(self) -> list[tuple[str, ...]]:
        return self._columns

    def cell(self, row: int, column: int) -> str:
        flat = row * len(self._columns) + column
        value = self.values[flat]
        if value is None:
            return self.status.get(str(flat), "..")
        decimals = self._decimals(row, column)
        return f"{value:.{decimals}f}"

    def _decimals(self, row: int, column: int) -> int:
        if "ContentsCode" in self.stub:
            code = self.rows()[row][self.stub.index("ContentsCode")]
        elif "ContentsCode" in self.heading:
            code = self.columns()[column][self.heading.index("ContentsCode")]
        else:
            return int(self.document["extension"]["px"].get("decimals") or 0)
        unit = self.document["dimension"]["ContentsCode"]["category"].get("unit", {}).get(code, {})
        return int(unit.get("decimals", self.document["extension"]["px"].get("decimals") or 0))


def _text(table: Table2D, variable: str, code: str | None, mode: str) -> str:
    if mode == "UseTexts":
        return table.label(variable, code)
    shown = variable if code is None else code
    return f"{shown} - {table.label(variable, code)}" if mode == "UseCodesAndTexts" else shown


def _mode(params: list[str], default: str) -> str:
    return next((p for p in reversed(params) if p in ("UseCodes", "UseTexts", "UseCodesAndTexts")), default)


def to_csv(table: Table2D, params: list[str]) -> bytes:
    mode = _mode(params, "UseCodes")
    separator = next((SEPARATORS[p.lower()] for p in reversed(params) if p.lower() in SEPARATORS), ",")
    lines = [f'"{table.document["label"]}"'] if "IncludeTitle" in params else []
    header = [f'"{_text(table, v, None, mode)}"' for v in table.stub]
    if table.heading:
        header += ['"' + " ".join(_text(table, v, code, mode) for v, code in zip(table.heading, column, strict=True))
                   + '"' for column in table.columns()]
    else:
        header.append(f'"{table.document["extension"]["px"].get("contents", "")}"')
    lines.append(separator.join(header))
    for r, row in enumerate(table.rows()):
        cells = [f'"{_text(table, v, code, mode)}"' for v, code in zip(table.stub, row, strict=True)]
        cells += [table.cell(r, c) for c in range(len(table.columns()))]
        lines.append(separator.join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1", errors="replace")


def to_json_px(table: Table2D) -> bytes:
    """json-px puts every variable but the contents in the key, one value per content code (strings)."""
    document = table.document
    variables = [v for v in document["id"] if v != "ContentsCode"]
    time_variable = (document.get("role", {}).get("time") or [None])[0]
    contents = table.codes("ContentsCode") if "ContentsCode" in document["id"] else []
    columns = [{"code": v, "text": table.label(v), "type": "t" if v == time_variable else "d"} for v in variables]
    columns += [{"code": c, "text": table.label("ContentsCode", c), "type": "c"} for c in contents]
    order = table.stub + table.heading
    positions = {key: flat for flat, key in enumerate(itertools.product(*[table.codes(v) for v in order]))}
    data = []
    for key in itertools.product(*[table.codes(v) for v in variables]):
        cells = []
        for content in contents or [None]:
            full = dict(zip(variables, key, strict=True)) | ({"ContentsCode": content} if content else {})
            flat = positions[tuple(full[v] for v in order)]
            row, column = divmod(flat, len(table.columns()))
            cells.append(table.cell(row, column))
        data.append({"key": list(key), "values": cells})
    px = document["extension"]["px"]
    body = {"columns": columns, "comments": [], "data": data,
            "metadata": [{"infofile": px.get("infofile", ""), "updated": document.get("updated"),
                          "label": document["label"], "source": document.get("source", "SCB")}]}
    return json.dumps(body, ensure_ascii=False).encode()


def _px_list(items: list[str]) -> str:
    return ",".join('"' + item.replace('"', "'") + '"' for item in items)


def to_px(table: Table2D) -> bytes:
    """A PX file (the format SCB's databases are kept in), readable by any PX reader."""
    document = table.document
    px = document["extension"]["px"]
    lines = ['CHARSET="ANSI";', 'AXIS-VERSION="2010";', 'CODEPAGE="iso-8859-1";',
             f'LANGUAGE="{px.get("language", "sv")}";',
             f'CREATION-DATE="{datetime.now(UTC):%Y%m%d %H:%M}";',
             f'DECIMALS={px.get("decimals") or 0};', f'SHOWDECIMALS={px.get("decimals") or 0};',
             f'MATRIX="{px.get("matrix", px.get("tableid", ""))}";',
             f'SUBJECT-CODE="{px.get("subject-code", "")}";', f'SUBJECT-AREA="{px.get("subject-area", "")}";',
             f'TITLE="{document["label"]}";', f'CONTENTS="{px.get("contents", "")}";',
             f'STUB={_px_list([table.label(v) for v in table.stub])};',
             f'HEADING={_px_list([table.label(v) for v in table.heading])};']
    if "ContentsCode" in document["id"]:
        lines.append(f'CONTVARIABLE="{table.label("ContentsCode")}";')
    for variable in table.stub + table.heading:
        name, codes = table.label(variable), table.codes(variable)
        lines.append(f'VALUES("{name}")={_px_list([table.label(variable, c) for c in codes])};')
        lines.append(f'CODES("{name}")={_px_list(codes)};')
    if document.get("updated"):
        stamp = document["updated"][:16].replace("-", "").replace("T", " ")
        lines.append(f'LAST-UPDATED="{stamp}";')
    lines.append(f'SOURCE="{document.get("source", "SCB")}";')
    lines.append("DATA=")
    for r in range(len(table.rows())):
        cells = [table.cell(r, c) for c in range(len(table.columns()))]
        lines.append(" ".join(c if _is_number(c) else f'"{c}"' for c in cells) + " ")
    lines.append(";")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_html(table: Table2D, params: list[str]) -> bytes:
    mode = _mode(params, "UseTexts")
    cells = []
    if "IncludeTitle" in params:
        cells.append(f"<caption>{html.escape(table.document['label'])}</caption>")
    head = "".join(f'<th scope="col">{html.escape(_text(table, v, None, mode))}</th>' for v in table.stub)
    head += "".join('<th scope="col">' + html.escape(" ".join(_text(table, v, code, mode) for v, code in
                                                               zip(table.heading, column, strict=True))) + "</th>"
                    for column in table.columns())
    cells.append(f"<thead><tr>{head}</tr></thead><tbody>")
    for r, row in enumerate(table.rows()):
        stub = "".join(f'<th scope="row">{html.escape(_text(table, v, code, mode))}</th>'
                       for v, code in zip(table.stub, row, strict=True))
        data = "".join(f"<td>{table.cell(r, c)}</td>" for c in range(len(table.columns())))
        cells.append(f"<tr>{stub}{data}</tr>")
    matrix = table.document["extension"]["px"].get("matrix", "table")
    return (f'<table id="{html.escape(matrix)}">' + "".join(cells) + "</tbody></table>").encode(
        "iso-8859-1", errors="xmlcharrefreplace")


def to_xlsx(table: Table2D, params: list[str]) -> bytes:
    from openpyxl import Workbook  # only the emulator's xlsx answers need it

    mode = _mode(params, "UseTexts")
    book = Workbook()
    sheet = book.active
    sheet.title = str(table.document["extension"]["px"].get("matrix", "table"))[:31]
    if "IncludeTitle" in params:
        sheet.append([table.document["label"]])
    sheet.append([_text(table, v, None, mode) for v in table.stub]
                 + [" ".join(_text(table, v, code, mode) for v, code in zip(table.heading, column, strict=True))
                    for column in table.columns()])
    for r, row in enumerate(table.rows()):
        values = [table.cell(r, c) for c in range(len(table.columns()))]
        sheet.append([_text(table, v, code, mode) for v, code in zip(table.stub, row, strict=True)]
                     + [float(v) if _is_number(v) else v for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def serialize(output_format: str, table: Table2D, params: list[str]) -> bytes:
    if output_format == "json-stat2":
        return json.dumps(table.document, ensure_ascii=False).encode()
    if output_format == "csv":
        return to_csv(table, params)
    if output_format == "px":
        return to_px(table)
    if output_format == "json-px":
        return to_json_px(table)
    if output_format == "html":
        return to_html(table, params)
    return to_xlsx(table, params)
