"""`demo`: a realistic local workspace to try every command on.

A register with 3 career groups and 20 students, each group's CRM (leads, contact log,
members, events) and each student's individual CRM, dated around `today`. The data is
deliberately messy the way real sheets are: aliased headers, a title row above a header,
the same company spelled three ways, speculative comments, unanswered attempts, a phone
number typed in every style. Deterministic for a given date.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

from stdnum.se import orgnr as se_orgnr

from chas_sheets.backends.local import build_workbook
from chas_sheets.errors import InvalidInput
from chas_sheets.i18n import _
from chas_sheets.programme.calendar import cohort_year_for, default_big_bang_day
from chas_sheets.sheet.layout import layout_for
from chas_sheets.text import strip_diacritics

PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    typ: str
    city: str
    orgnr: str = ""
    variants: tuple[str, ...] = ()


COMPANIES = [
    Company("Volvo Personvagnar AB", "volvocars.com", "Industri", "Göteborg", "556074-3089",
            ("VOLVO PERSONVAGNAR AB", "Volvo Personvagnar")),
    Company("AB Volvo", "volvogroup.com", "Industri", "Göteborg", "556012-5790"),
    Company("Telefonaktiebolaget LM Ericsson", "ericsson.com", "Produktbolag", "Stockholm", "556016-0680", ("Ericsson AB",)),
    Company("Spotify AB", "spotify.com", "Produktbolag", "Stockholm", "556703-7485", ("Spotify",)),
    Company("H & M Hennes & Mauritz AB", "hm.com", "Produktbolag", "Stockholm", "556042-7220", ("H&M",)),
    Company("Sigma Technology", "sigmatechnology.com", "Konsultbolag", "Stockholm"),
    Company("Sigma IT", "sigmait.se", "Konsultbolag", "Malmö"),
    Company("Tietoevry", "tietoevry.com", "Konsultbolag", "Stockholm", "", ("Tieto Evry",)),
    Company("Knowit AB (publ)", "knowit.se", "Konsultbolag", "Stockholm", "", ("Knowit",)),
    Company("Netlight Consulting AB", "netlight.com", "Konsultbolag", "Stockholm"),
    Company("Capgemini Sverige AB", "capgemini.com", "Konsultbolag", "Göteborg", "", ("Capgemini",)),
    Company("Region Stockholm", "regionstockholm.se", "Offentlig sektor", "Stockholm"),
    Company("Region Skåne", "skane.se", "Offentlig sektor", "Malmö"),
    Company("Skatteverket", "skatteverket.se", "Offentlig sektor", "Solna"),
    Company("Försäkringskassan", "forsakringskassan.se", "Offentlig sektor", "Stockholm"),
    Company("Göteborgs Stad", "goteborg.se", "Offentlig sektor", "Göteborg"),
    Company("Malmö stad", "malmo.se", "Offentlig sektor", "Malmö"),
    Company("Scania CV AB", "scania.com", "Industri", "Södertälje"),
    Company("SKF AB", "skf.com", "Industri", "Göteborg"),
    Company("Sandvik AB", "home.sandvik", "Industri", "Sandviken"),
    Company("Saab AB", "saab.com", "Industri", "Linköping"),
    Company("Klarna Bank AB", "klarna.com", "Produktbolag", "Stockholm", "", ("Klarna",)),
    Company("King Digital Entertainment", "king.com", "Produktbolag", "Stockholm"),
    Company("Mojang AB", "mojang.com", "Produktbolag", "Stockholm"),
    Company("Axis Communications AB", "axis.com", "Produktbolag", "Lund"),
    Company("Tetra Pak", "tetrapak.com", "Industri", "Lund"),
    Company("IKEA IT AB", "ikea.com", "Produktbolag", "Malmö"),
    Company("Truecaller AB", "truecaller.com", "Startup", "Stockholm"),
    Company("Kry International AB", "kry.se", "Startup", "Stockholm"),
    Company("Voi Technology AB", "voiscooters.com", "Startup", "Stockholm"),
    Company("Einride AB", "einride.tech", "Startup", "Göteborg"),
    Company("Polestar", "polestar.com", "Produktbolag", "Göteborg"),
    Company("Zenseact", "zenseact.com", "Produktbolag", "Göteborg"),
    Company("Nordnet Bank AB", "nordnet.se", "Produktbolag", "Stockholm"),
    Company("Avanza Bank AB", "avanza.se", "Produktbolag", "Stockholm"),
    Company("Visma Spcs AB", "visma.se", "Produktbolag", "Växjö"),
    Company("Fortnox AB", "fortnox.se", "Produktbolag", "Växjö"),
    Company("Cygni AB", "cygni.se", "Konsultbolag", "Stockholm"),
    Company("Omegapoint AB", "omegapoint.se", "Konsultbolag", "Stockholm"),
    Company("Softhouse Consulting", "softhouse.se", "Konsultbolag", "Malmö"),
    Company("Jayway by Devoteam", "jayway.com", "Konsultbolag", "Malmö"),
    Company("Acando", "acando.se", "Konsultbolag", "Göteborg"),
    Company("Ework Group AB", "eworkgroup.com", "Konsultbolag", "Stockholm"),
    Company("Consid AB", "consid.se", "Konsultbolag", "Jönköping"),
    Company("Advania Sverige AB", "advania.se", "Konsultbolag", "Stockholm"),
    Company("Bravo AB", "bravo.se", "Annat", "Uppsala"),
    Company("Brava AB", "brava.se", "Annat", "Örebro"),
    Company("Qliro AB", "qliro.com", "Startup", "Stockholm"),
    Company("Tibber", "tibber.com", "Startup", "Stockholm"),
    Company("Northvolt AB", "northvolt.com", "Industri", "Skellefteå"),
    Company("Epiroc AB", "epiroc.com", "Industri", "Örebro"),
    Company("Trafikverket", "trafikverket.se", "Offentlig sektor", "Borlänge"),
    Company("Arbetsförmedlingen", "arbetsformedlingen.se", "Offentlig sektor", "Stockholm"),
    Company("Lunar Sverige", "lunar.app", "Startup", "Stockholm"),
    Company("Sinch AB", "sinch.com", "Produktbolag", "Stockholm"),
    Company("Paradox Interactive", "paradoxinteractive.com", "Produktbolag", "Stockholm"),
    Company("Massive Entertainment", "massive.se", "Produktbolag", "Malmö"),
    Company("Hemnet", "hemnet.se", "Produktbolag", "Stockholm"),
    Company("Mentimeter AB", "mentimeter.com", "Startup", "Stockholm"),
    Company("Storytel AB", "storytel.com", "Produktbolag", "Stockholm"),
]

FIRST = ["Anna", "Erik", "Sara", "Johan", "Maria", "Ali", "Emma", "Oskar", "Fatima", "Lucas", "Elin", "Ahmed",
         "Wilma", "Hugo", "Nora", "Leo", "Amira", "Viktor", "Ebba", "Noah", "Linnea", "Omar", "Ida", "Filip"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson",
        "Gustafsson", "Pettersson", "Jonsson", "Hassan", "Lindberg", "Berg", "Öberg", "Åkesson", "Khalil"]
ROLES = ["HR-ansvarig", "Rekryterare", "CTO", "Tech Lead", "Utvecklingschef", "Talent Acquisition", "Teamlead"]
PROGRAMMES = ["Fullstack .NET", "Javautvecklare", "Frontendutvecklare", "DevOps-ingenjör", "Mjukvarutestare"]
SOURCES = ["LinkedIn", "Platsbanken", "Mässa", "Tips från lärare", "Meetup", "Företagets webbplats"]
COMMENTS = [
    "Ringde {d}, pratade med {p} ({r}). Hon tror kanske att de tar LIA i höst lol",
    "Skickade mejl till {p} {d} kl 10. Vet ej om de svarar",
    "Verkar chill ställe haha 😂",
    "Söker två LIA-studenter enligt annons på webbplatsen. Borde passa oss typ",
    "Möte bokat {d} med {p}. Bad om CV",
    "{p} sa nej, inga LIA-platser i år",
    "Har 120 anställda i Sverige. Känns som ett bra ställe",
    "Tycker vi ska höra av oss igen efter sommaren, antagligen bättre då",
    "Träffade {p} på mässan {d}; vill ha portfolio",
    "",
    "",
]
# Small and mid-size IT companies, made up, so that students mostly research different ones
# (as real students do) while the big names above draw the over-processing warnings.
_PREFIXES = ["Nord", "Väst", "Syd", "Öst", "Fjäll", "Sol", "Berg", "Ljus", "Kod", "Moln", "Data", "Sjö", "Skog",
             "Bit", "Stig", "Vind", "Järn", "Kvarn", "Hav", "Gran", "Ek", "Lind", "Ask", "Älv", "Strand", "Klipp",
             "Myr", "Sten", "Rune", "Falk", "Varg", "Björn", "Lo", "Örn", "Svan", "Tall", "Ljung", "Mo", "Ström", "Dal"]
_SUFFIXES = [("byte", "Konsultbolag"), ("logik", "Konsultbolag"), ("system", "Produktbolag"), ("soft", "Produktbolag"),
             ("tech", "Startup"), ("kod", "Konsultbolag"), ("data", "Produktbolag"), ("labs", "Startup"),
             ("nät", "Konsultbolag"), ("sec", "Produktbolag"), ("app", "Startup"), ("digital", "Konsultbolag")]
_CITIES = ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Linköping", "Västerås", "Örebro", "Umeå", "Lund", "Jönköping"]
SMALL_COMPANIES = [
    Company(f"{p}{s} AB", f"{strip_diacritics(p + s).lower()}.se", typ, _CITIES[(i + j) % len(_CITIES)])
    for i, p in enumerate(_PREFIXES) for j, (s, typ) in enumerate(_SUFFIXES)
]

# Delmål: the leads a group sets itself to add from Big Bang Day until Fas 1 ends (seed 000).
GROUPS = [("Stockholm 1", "Stockholm", 15), ("Göteborg 1", "Västra Götaland", 10), ("Malmö 1", "Skåne", 12)]
PHONE_STYLES = ["070-{a} {b} {c}", "+46 70 {a} {b} {c}", "070{a}{b}{c}", "08-{a} {b} {c}"]


def _slug(name: str) -> str:
    """'Åsa Öberg' -> 'asa-oberg': file names that work on every system."""
    return re.sub(r"[^a-z0-9]+", "-", strip_diacritics(name).lower()).strip("-")


class _Writer:
    """Fill a template workbook's tabs row by row (demo data only, never users' sheets)."""

    def __init__(self, kind: str):
        self.wb = build_workbook(layout_for(kind))

    def rows(self, tab: str, rows: list[dict]) -> None:
        ws = self.wb[tab]
        headers = [c.value for c in ws[1]]
        for r, row in enumerate(rows, start=2):
            for key, value in row.items():
                if key not in headers:
                    headers.append(key)
                    ws.cell(row=1, column=len(headers)).value = key
                if value not in (None, ""):
                    cell = ws.cell(row=r, column=headers.index(key) + 1)
                    cell.value = value
                    if isinstance(value, str):
                        cell.data_type = "s"
                    elif isinstance(value, dt.date):
                        cell.number_format = "yyyy-mm-dd"

    def rename_headers(self, tab: str, renames: dict[str, str]) -> None:
        for cell in self.wb[tab][1]:
            if cell.value in renames:
                cell.value = renames[cell.value]

    def save(self, path: Path) -> None:
        """Private from the first byte (0600, like `init`): CRMs hold contact persons' details,
        and the sharing audit flags a workbook the group or others can read."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb") as out:
            self.wb.save(out)


class _Faker:
    def __init__(self, today: dt.date):
        self.rng = random.Random(f"chas-sheets-demo|{today.isoformat()}")
        self.today = today

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def phone(self) -> str:
        a, b, c = self.rng.randint(100, 999), self.rng.randint(10, 99), self.rng.randint(10, 99)
        return self.rng.choice(PHONE_STYLES).format(a=a, b=b, c=c)

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        end = max(start, min(end, self.today))
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def lead(self, company: Company, added_by: str, added: dt.date, warm: bool) -> dict:
        rng = self.rng
        contact = self.person()
        first = _slug(contact.split()[0])
        name = rng.choice((company.name, *company.variants)) if company.variants else company.name
        comment = rng.choice(COMMENTS).format(d=f"{added.day}/{added.month}", p=contact.split()[0], r=rng.choice(ROLES))
        return {
            "Företag": name,
            "Org.nr": company.orgnr if company.orgnr and rng.random() < 0.6 else "",
            "Webbplats": f"https://www.{company.domain}/" if rng.random() < 0.7 else "",
            "Typ": company.typ,
            "Ort": company.city,
            "Kontaktperson": contact if rng.random() < 0.85 else "",
            "Roll": rng.choice(ROLES),
            "Telefon": self.phone() if rng.random() < 0.6 else "",
            "E-post": f"{first}@{company.domain}" if rng.random() < 0.7 else "",
            "Källa": rng.choice(SOURCES),
            "Temperatur": "Varm" if warm else "Kall",
            "Status": "Ny",
            "Tillagd av": added_by,
            "Tillagd": added,
            "Kommentar": comment,
        }

    def attempts(self, lead: dict, by: str, start: dt.date, end: dt.date) -> list[dict]:
        """0-4 attempts: mostly unanswered, some answers, some yes/no."""
        rows = []
        day = self.day(start, end)
        for n in range(self.rng.choice([0, 1, 1, 2, 2, 3, 3, 4])):
            if day > self.today:
                break
            outcome = self.rng.choices(["Inget svar", "Svar", "Ja", "Nej"], [60, 20, 6, 14])[0]
            rows.append({
                "Datum": day if self.rng.random() < 0.8 else f"{day.day}/{day.month}",
                "Företag": lead["Företag"].upper() if self.rng.random() < 0.15 else lead["Företag"],
                "Kontaktperson": lead["Kontaktperson"] if self.rng.random() < 0.5 else "",
                "Kanal": self.rng.choice(["Telefon", "Mejl", "LinkedIn", "mejl", "tel"]),
                "Utfall": outcome if self.rng.random() < 0.85 else outcome.lower(),
                "Av": by,
            })
            if outcome in ("Ja", "Nej"):
                break
            day += dt.timedelta(days=self.rng.randint(2, 6))
        return rows


def build_demo(folder: Path, today: dt.date) -> dict[str, Path]:
    """Write the workspace into `folder` (must be empty or new); returns the main paths."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInput(_("{folder} is not empty; give a new folder so nothing is overwritten").format(folder=folder))
    companies = [c for c in COMPANIES if not c.orgnr or se_orgnr.is_valid(c.orgnr)]
    # each region's students mostly research their own region's small companies
    regional = [SMALL_COMPANIES[i::len(GROUPS)] for i in range(len(GROUPS))]
    fake = _Faker(today)
    year = cohort_year_for(today)
    phase1 = dt.date(year - 1, 9, 1)
    lia_start = dt.date(year, 4, 1)
    big_bang = default_big_bang_day(year)

    register = _Writer("register")
    group_rows, student_rows = [], []
    used_people: set[str] = set()
    for g_index, (group, region, delmal) in enumerate(GROUPS):
        members = []
        while len(members) < (7 if g_index < 2 else 6):
            name = fake.person()
            if name not in used_people:
                used_people.add(name)
                members.append(name)
        crm = _Writer("group")
        leads, log = [], []
        small = regional[g_index]
        # every group met Volvo Personvagnar (typed three ways below); the rest are drawn
        picks = [companies[0], *fake.rng.sample(companies[1:], 13 + 2 * g_index),
                 *fake.rng.sample(small, 20 + 2 * g_index)]
        for c_index, company in enumerate(picks):
            for _contact in range(fake.rng.choice([1, 1, 1, 2])):  # several contact persons, or a duplicate
                added = fake.day(phase1, min(today, dt.date(year, 3, 31)))
                lead = fake.lead(company, fake.rng.choice(members), added, warm=c_index % 3 == 0)
                leads.append(lead)
                log += fake.attempts(lead, fake.rng.choice(members), added, dt.date(year, 3, 31))
        for lead in leads:  # the group forgot the exact spelling of one company a second time
            if lead["Företag"].startswith("Volvo Personvagnar"):
                leads.append({**lead, "Företag": "VOLVO PERSONVAGNAR AB", "Kontaktperson": lead["Kontaktperson"],
                              "Kommentar": "Dubblett? vet ej"})
                break
        crm.rows("Leads", leads)
        crm.rows("Kontaktlogg", log)
        crm.rows("Event", [
            {"Namn": "Stockholm Tech Meetup", "Typ": "Meetup", "Datum": dt.date(year - 1, 10, 12), "Plats": "Stockholm",
             "Länk": "https://www.meetup.com/", "Tipsad av": members[0]},
            {"Namn": "Arbetsmarknadsdagar", "Typ": "Mässa", "Datum": dt.date(year - 1, 11, 8), "Plats": "Göteborg",
             "Tipsad av": members[1], "Kommentar": "Många konsultbolag. Ta med CV"},
        ])
        member_rows = []
        for m_index, name in enumerate(members):
            slug = _slug(name)
            member_rows.append({
                "Namn": name,
                "E-post": f"{slug.replace('-', '.')}@student.chas.se",
                "Roll": ["Projektledare", "Researcher", "Kommunikatör"][m_index % 3],
                "Utbildning": PROGRAMMES[m_index % len(PROGRAMMES)],
                "Individuellt CRM": f"../studerande/{slug}.xlsx",
            })
            student_rows.append(_student(fake, name, group, m_index, slug, today, lia_start, companies, small,
                                         member_rows[-1]))
        crm.rows("Medlemmar", member_rows)
        if g_index == 1:  # real sheets drift: English and short headers
            crm.rename_headers("Leads", {"Företag": "Company", "E-post": "Mejl", "Telefon": "Tel", "Kommentar": "Anteckningar"})
            crm.wb["Leads"].cell(row=1, column=crm.wb["Leads"].max_column + 1).value = "Prio (egen)"
        crm.save(folder / "grupper" / f"{_slug(group)}.xlsx")
        group_rows.append({"Grupp": group, "Region": region, "Gruppens CRM": f"grupper/{_slug(group)}.xlsx",
                           "Big Bang Day": big_bang + dt.timedelta(days=7 * g_index), "Delmål": delmal})
    register.rows("Grupper", group_rows)
    register.rows("Studerande", [row for row, _ in student_rows])
    register.save(folder / "register.xlsx")
    for _row, (path, writer) in student_rows:
        if writer is not None:
            writer.save(folder / path)
    return {"register": folder / "register.xlsx", "groups": folder / "grupper", "students": folder / "studerande"}


def _student(fake: _Faker, name: str, group: str, index: int, slug: str, today: dt.date,
             lia_start: dt.date, companies: list[Company], small: list[Company], member: dict):
    """One student's register row and individual CRM (none yet for one student in three groups)."""
    rng = fake.rng
    path = f"studerande/{slug}.xlsx"
    registered = ""
    if today > lia_start + dt.timedelta(days=40) and rng.random() < 0.25:
        registered = fake.day(lia_start + dt.timedelta(days=30), today)
    row = {
        "Namn": name, "E-post": member["E-post"], "Grupp": group, "Utbildning": member["Utbildning"],
        "Individuellt CRM": path, "LIA-företag": rng.choice(companies).name if registered else "",
        "LIA registrerad": registered, "Placerad": "",
        "CV design": "Ja" if rng.random() < 0.8 else "", "CV ATS": "Ja" if rng.random() < 0.6 else "",
        "LinkedIn": "Ja" if rng.random() < 0.9 else "", "Commitmentavtal": "Ja",
    }
    if index == 6 or today < lia_start:
        row["Individuellt CRM"] = ""  # not set up yet: the harvest creates it from the template
        return row, (path, None)
    crm = _Writer("student")
    leads, log = [], []
    count = rng.choice([12, 25, 38, 47, 52, 55])
    big = max(2, count // 6)  # a few well-known names, the rest small and mid-size companies
    for company in rng.sample(companies, big) + rng.sample(small, count - big):
        added = fake.day(lia_start, today)
        lead = fake.lead(company, name, added, warm=rng.random() < 0.2)
        leads.append(lead)
        log += fake.attempts(lead, name, added, today)
    crm.rows("Leads", leads)
    crm.rows("Kontaktlogg", log)
    if index == 2:  # a title row above the header, as people like to add
        crm.wb["Leads"].insert_rows(1)
        crm.wb["Leads"]["A1"] = f"{name}s CRM"
    return row, (path, crm)
