"""chas-sheets: the Google Sheets of Chas Career as a working CRM."""

__version__ = "0.1.0"
