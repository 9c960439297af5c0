"""Spreadsheet formula neutralisation for CSV and TSV exports (OWASP, "CSV Injection").

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets, so text a worker or requester typed (an item
``=HYPERLINK(…)``) could run in the spreadsheet of whoever opens the export. OWASP's rule:
prefix such a cell with a single quote, which spreadsheets show as text. Only text cells
change; numbers (a negative score) are written as numbers. JSONL, TMX and Moses exports keep
every character as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pandas loads only where a frame is written: `corpus filter` never needs it
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


def neutralise(value: T) -> T | str:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised (numeric columns untouched)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(name)) for name in out.columns]
    return out
