"""Reading back what Excel would show of a workbook: each column's number format, from the xlsx XML itself."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
# The built-in formats a writer may refer to by number instead of spelling out (ECMA-376 18.8.30).
BUILT_IN = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "mm-dd-yy"}


def number_formats(path: Path) -> dict[str, dict[str, str]]:
    """sheet name -> column header -> the number format of the column's first data cell (row 2)."""
    with zipfile.ZipFile(path) as book:
        read = lambda name: ElementTree.fromstring(book.read(name))  # noqa: E731
        shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in read("xl/sharedStrings.xml")]
        styles = read("xl/styles.xml")
        custom = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
        cell_formats = [int(xf.get("numFmtId", 0)) for xf in styles.iterfind("m:cellXfs/m:xf", NS)]
        targets = {r.get("Id"): r.get("Target") for r in read("xl/_rels/workbook.xml.rels").iterfind("rel:*", NS)}
        found = {}
        for sheet in read("xl/workbook.xml").iterfind("m:sheets/m:sheet", NS):
            xml = read("xl/" + targets[sheet.get(f"{{{NS['r']}}}id")].removeprefix("/xl/"))
            rows = {int(r.get("r")): r for r in xml.iterfind("m:sheetData/m:row", NS)}
            headers = {
                _column(c.get("r")): shared[int(c.find("m:v", NS).text)]
                for c in rows[1].iterfind("m:c", NS)
                if c.get("t") == "s"
            }
            formats = {}
            for cell in rows[2].iterfind("m:c", NS) if 2 in rows else ():
                number = cell_formats[int(cell.get("s", 0))]
                formats[headers[_column(cell.get("r"))]] = custom.get(number) or BUILT_IN.get(number, str(number))
            found[sheet.get("name")] = formats
    return found


def _column(reference: str) -> str:
    return re.match(r"[A-Z]+", reference).group(0)
