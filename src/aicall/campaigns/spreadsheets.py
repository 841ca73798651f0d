"""Reading a contact list from a CSV or XLSX file as a stream of numbered rows.

Row numbers are the ones a person sees in the spreadsheet: the header is row 1, the first data
row is row 2, and blank rows keep their number (they are skipped, not renumbered), so a
rejection "row 7" points at the row Excel shows as 7.

* CSV: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one), comma or
  semicolon separated (chosen from the header line), LF or CRLF line ends.
* XLSX: the first worksheet, read with openpyxl's read-only mode (a row at a time, so the
  memory used does not grow with the file).

Cells become what a customer would send in the add-contacts JSON (so the same rules apply):
text stripped of surrounding spaces, whole numbers as integers (a phone number typed as a
number), other numbers as their shortest decimal text, dates as `dd/mm/yyyy` and times as
`HH:MM[:SS]` (the forms the DATE and TIME readings accept); an empty cell is no value.

Errors are `ValidationFailed` (the file cannot be read as a contact list, the message says
why and what to do).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import TracebackType
from typing import IO, Any, Protocol

# openpyxl ships no type information (and types-openpyxl is not among our dependencies): its
# objects are Any here, kept behind this module's typed surface.
from openpyxl import load_workbook  # type: ignore[import-untyped]

from aicall.errors import ValidationFailed

__all__ = ["Cell", "Sheet", "SheetFormat", "cell_value", "detect_format", "open_sheet"]

# openpyxl warns about parts of a workbook it does not keep (styles, data validation,
# extensions): none of them matters for reading values, and a warning per upload is noise.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?$")

Cell = str | int | None
_SNIFF_BYTES = 512  # enough to see the NUL bytes of binary formats
_DELIMITERS = (",", ";")


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class BinaryFile(Protocol):
    """What a source must offer: an open file in binary mode that can be rewound (a file on
    disk, a `SpooledTemporaryFile` holding an upload, a `BytesIO`)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


def detect_format(head: bytes, filename: str | None = None) -> SheetFormat:
    """CSV or XLSX from the file's first bytes (the content decides, not the name).

    Raises ValidationFailed for an empty file and for other formats, naming what was found."""
    if not head:
        raise ValidationFailed("the file is empty", field="file")
    if head.startswith(b"PK\x03\x04"):
        return SheetFormat.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(
            "the file is an old Excel workbook (.xls), which is not supported: save it as XLSX or CSV UTF-8",
            field="file",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationFailed(
            "the file is UTF-16 text (Excel's 'Unicode Text'): save it as CSV UTF-8 or XLSX", field="file"
        )
    if head.startswith(b"%PDF") or b"\x00" in head:
        named = f" ({filename})" if filename else ""
        raise ValidationFailed(f"the file{named} is not a CSV or XLSX file", field="file")
    return SheetFormat.CSV


def cell_value(raw: object) -> Cell:
    """A cell as the add-contacts API would receive it (see the module's docstring)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        return text or None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        # Excel keeps every number as a float; 987654321.0 is the number typed as 987654321.
        return int(raw) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime):
        if raw.time() == time(0, 0):
            return f"{raw:%d/%m/%Y}"
        return f"{raw:%d/%m/%Y} {_clock(raw.time())}"
    if isinstance(raw, date):
        return f"{raw:%d/%m/%Y}"
    if isinstance(raw, time):
        return _clock(raw)
    if isinstance(raw, timedelta):  # a duration cell ([h]:mm)
        minutes, seconds = divmod(int(raw.total_seconds()), 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    text = str(raw).strip()
    return text or None


def _clock(moment: time) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


class Sheet:
    """An open contact file: its header and its data rows, read on demand.

    Use as a context manager (it closes the workbook); `rows()` can be called more than once
    (each call reads the file again from the start)."""

    format: SheetFormat
    header: list[str]

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(row number, cells) for each non-blank data row, cells aligned with `header`."""
        raise NotImplementedError

    def size_hint(self) -> int | None:
        """How many data rows there are, when known without reading them all (XLSX: from the
        sheet's recorded size, which counts blank rows too; CSV: exact, by a quick pass that
        also checks the whole file decodes, so a bad byte at the end fails before any import)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (the caller still owns the source it passed)."""

    def __enter__(self) -> Sheet:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_sheet(source: BinaryFile, *, filename: str | None = None) -> Sheet:
    """The contact file in `source` (read from its start), its header read.

    Raises ValidationFailed: empty file, unsupported format, unreadable XLSX, text that is not
    UTF-8, no header row."""
    source.seek(0)
    head = source.read(_SNIFF_BYTES)
    source.seek(0)
    kind = detect_format(head, filename)
    sheet: Sheet = _XlsxSheet(source) if kind is SheetFormat.XLSX else _CsvSheet(source)
    if not any(sheet.header):
        sheet.close()
        raise ValidationFailed(
            "the first row must name the columns (e.g. 'Số điện thoại', 'Họ tên'); it is empty", field="file"
        )
    return sheet


# --- CSV ---------------------------------------------------------------------------------------


class _CsvSheet(Sheet):
    def __init__(self, source: BinaryFile) -> None:
        self.format = SheetFormat.CSV
        self._source = source
        records = self._records()
        first = next(records, None)
        if first is None:
            raise ValidationFailed("the file is empty", field="file")
        self.header = [str(cell_value(value) or "") for value in first]

    def _lines(self) -> Iterator[str]:
        self._source.seek(0)
        # utf-8-sig drops the byte-order mark Excel writes, and only at the very start.
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        for number, raw in enumerate(_binary_lines(self._source), start=1):
            try:
                yield decoder.decode(raw)
            except UnicodeDecodeError as exc:
                raise ValidationFailed(
                    f"the file is not UTF-8 text (line {number}, byte {exc.start + 1}): "
                    "save it as 'CSV UTF-8' or XLSX",
                    field="file",
                ) from None
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationFailed(
                "the file is not UTF-8 text (it ends inside a character): save it as 'CSV UTF-8' or XLSX",
                field="file",
            ) from None

    def _records(self) -> Iterator[list[str]]:
        lines = self._lines()
        first = next(lines, None)
        if first is None:
            return
        delimiter = _delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=False)
        try:
            yield from reader
        except csv.Error as exc:
            raise ValidationFailed(
                f"the CSV file cannot be read at line {reader.line_num}: {exc}", field="file"
            ) from None

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        width = len(self.header)
        records = self._records()
        next(records, None)  # the header
        for number, record in enumerate(records, start=2):
            cells = [cell_value(value) for value in record[:width]]
            if any(cell is not None for cell in cells):
                cells.extend([None] * (width - len(cells)))
                yield number, cells

    def size_hint(self) -> int | None:
        return sum(1 for _ in self.rows())


def _binary_lines(source: BinaryFile) -> Iterator[bytes]:
    """Lines split at b"\\n" (a UTF-8 character never contains that byte), read in blocks."""
    pending = b""
    while block := source.read(1 << 16):
        pending += block
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line + b"\n"
    if pending:
        yield pending


def _delimiter(header_line: str) -> str:
    """`;` when the header has more of them than commas (Excel in locales whose decimal mark
    is the comma writes `;`), else `,`."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    return ";" if counts[";"] > counts[","] else ","


# --- XLSX --------------------------------------------------------------------------------------


class _XlsxSheet(Sheet):
    def __init__(self, source: BinaryFile) -> None:
        self.format = SheetFormat.XLSX
        try:
            # data_only: a formula cell gives the value Excel last computed, not its formula.
            self._workbook = load_workbook(_as_io(source), read_only=True, data_only=True, keep_links=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise ValidationFailed(
                f"the file is not a readable XLSX workbook ({_short(exc)})", field="file"
            ) from None
        if not self._workbook.worksheets:
            self.close()
            raise ValidationFailed("the workbook has no worksheet", field="file")
        self._sheet = self._workbook.worksheets[0]
        recorded = getattr(self._sheet, "max_row", None)
        self._recorded_rows = recorded - 1 if isinstance(recorded, int) and recorded > 1 else None
        # The size a workbook records can be wrong (some writers put "A1"); openpyxl would stop
        # reading at it and drop the rows below without a word. Read until the data ends instead.
        reset = getattr(self._sheet, "reset_dimensions", None)
        if callable(reset):
            reset()
        first = next(self._raw_rows(), ())
        header = [str(cell_value(value) or "") for value in first]
        while header and not header[-1]:
            header.pop()  # formatting applied to whole columns makes rows of empty cells
        self.header = header

    def _raw_rows(self, *, min_row: int = 1, max_col: int | None = None) -> Iterator[Sequence[Any]]:
        try:
            yield from self._sheet.iter_rows(min_row=min_row, max_col=max_col, values_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ValidationFailed(
                f"the XLSX workbook cannot be read ({_short(exc)})", field="file"
            ) from None

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        width = len(self.header)
        for number, values in enumerate(self._raw_rows(min_row=2, max_col=width), start=2):
            cells = [cell_value(value) for value in values]
            if any(cell is not None for cell in cells):
                cells.extend([None] * (width - len(cells)))
                yield number, cells

    def size_hint(self) -> int | None:
        return self._recorded_rows

    def close(self) -> None:
        self._workbook.close()


def _as_io(source: BinaryFile) -> IO[bytes]:
    # openpyxl hands the object to zipfile, which needs read/seek/tell: all BinaryFile has.
    return source  # type: ignore[return-value]


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
