"""The project's exceptions: one base class, narrow subclasses, one-line messages.

The CLI turns every ChasSheetsError into a one-line `Error: ...` and exit code 1.
"""


class ChasSheetsError(Exception):
    "Base class: a failure the user can act on, described in one line."


class SpreadsheetNotFound(ChasSheetsError):
    "The spreadsheet (file, URL or key) does not exist or cannot be opened."


class CorruptSpreadsheet(ChasSheetsError):
    "The file exists but is not a readable workbook."


class MissingTab(ChasSheetsError):
    "A tab the command needs is not in the spreadsheet."


class MissingColumn(ChasSheetsError):
    "A required column is not in a tab's header row."


class UnsafeWrite(ChasSheetsError):
    "Writing would lose something people made (charts, images, shapes)."


class SpreadsheetLocked(ChasSheetsError):
    "Another chas-sheets run is writing to the same spreadsheet."


class BackendError(ChasSheetsError):
    "The storage behind a spreadsheet failed (Google API error, quota, network)."


class InvalidInput(ChasSheetsError):
    "A value given on the command line or in a sheet cannot be used."


class SpreadsheetInUse(SpreadsheetLocked):
    "The workbook is open in Excel or LibreOffice (their lock file is beside it)."


class SpreadsheetChanged(SpreadsheetLocked):
    "A person saved the workbook while chas-sheets was writing it."


class ReadOnlySpreadsheet(UnsafeWrite):
    "The workbook, or the folder its new copy is written to, is read-only."
