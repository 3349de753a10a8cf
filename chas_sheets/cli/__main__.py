"""`python -m chas_sheets.cli`: the same as the `chas-sheets` command (no console script needed)."""

from chas_sheets.cli import main

main()
