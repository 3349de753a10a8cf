"""check: what a student sees about their own CRM."""


def test_a_contact_whose_datum_is_no_date_is_flagged_where_it_can_be_fixed(make_crm, today):
    """check names the row and column of an unreadable Datum and the spellings that work;
    a Swedish spelling it reads is not flagged."""
    from chas_sheets.backends.local import LocalWorkbook
    from chas_sheets.check.report import check_workbook

    path = make_crm("student", Leads=[{"ID": "L-AAAAAA", "Företag": "Volvo", "Telefon": "0701234567"}],
                    Kontaktlogg=[{"ID": "K-AAAAAA", "Datum": "igår typ", "Företag": "Volvo", "Kanal": "Telefon"},
                                 {"ID": "K-BBBBBB", "Datum": "12.05.2027", "Företag": "Volvo", "Kanal": "Telefon"}])
    report = check_workbook(LocalWorkbook(path).read(), today, "student")
    dates = [f for f in report.findings if f.tab == "Kontaktlogg" and f.column == "Datum"]
    assert [(f.level, f.row) for f in dates] == [("warning", 2)]
    assert "'igår typ'" in dates[0].message and "12/5" in dates[0].message
