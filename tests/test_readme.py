"""The README a newcomer reads: its two first commands are the ones CI runs, every link inside
it lands on a heading or a file of the repository, and nothing links outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """GitHub's slug of a heading: lower case, punctuation gone, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, flags=re.M)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return LINK.findall(text)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_lands_inside_the_repository(doc):
    for target in links(doc):
        assert not re.match(r"^[a-z]+:", target), f"{doc.name} links outside the repository: {target}"
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        assert linked.exists(), f"{doc.name}: {target} names no file"
        assert ROOT in linked.parents or linked == ROOT, f"{doc.name}: {target} leaves the repository"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{doc.name}: #{anchor} is no heading of {linked.name}"


def test_the_google_checklist_is_in_the_first_100_lines():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    at = lines.index("## Connect your real Google Sheets")
    assert at < 100
    checklist = "\n".join(lines[at:at + 30])
    assert "selftest google" in checklist and "Gruppens CRM" in checklist and "Individuellt CRM" in checklist


def test_the_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest -q" in readme.split("**Run the tests**")[1].split("```")[1]
    assert "pytest" in ci
