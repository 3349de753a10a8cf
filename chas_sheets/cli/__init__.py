"""The command line: one Click group, `chas-sheets`, with one module per command.

Each command module only parses options, calls the library and formats output; the
library raises ChasSheetsError subclasses, turned here into one-line errors (exit 1).
"""
