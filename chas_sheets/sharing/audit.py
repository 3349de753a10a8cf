"""Who can open the CRMs: sharing wider than the members and backoffice, found for backoffice.

A Google CRM is flagged when shared with "anyone with the link" (type anyone), with a whole
domain (type domain: everyone there with the link), or with an account outside the school's
domain (`--domain`), unless that account or its domain is allowed (`--allow`: backoffice's
service account, a partner school). A local CRM is flagged when its file is readable by the
group or by others (mode & 0o044).

`sharing_findings` and `file_mode_findings` are pure; `audit_register` walks a register with
the callables it is given, so the nightly run can call it with its own backends. Output masks
account e-mails (privacy.mask_email): the domain and the role are what backoffice acts on.

The account running the audit is backoffice itself (it created or was given the CRMs), so
`running_account` adds it to the allowed ones: a service account's `client_email` from its
key, or on the emulator the emulator's own account. An OAuth user login is not known without
a request (Drive `about.get`, which the backend does not offer yet): `--allow` it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Callable, Iterable

from chas_sheets.backends import Backend, is_google_reference
from chas_sheets.errors import ChasSheetsError
from chas_sheets.i18n import _, ngettext, sheet_
from chas_sheets.privacy import mask_email, mask_text
from chas_sheets.programme.register import Register, crm_jobs

ANYONE, DOMAIN, OUTSIDE, FILE_MODE = "anyone", "domain", "outside", "file-mode"


@dataclass(frozen=True)
class Finding:
    kind: str  # anyone, domain, outside, file-mode
    detail: str  # one line, e-mails masked, in the language people read
    role: str = ""
    permission_id: str = ""
    sheet_detail: str = ""  # the same in the sheet's language, for a tab (nightly's Delning)

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "sheet_detail"}


def _finding(kind: str, texts: tuple[str, str], role: str = "", permission_id: str = "") -> Finding:
    """A finding from its (people's language, sheet language) texts."""
    return Finding(kind, texts[0], role, permission_id, texts[1])


@dataclass
class CrmAudit:
    crm: str
    kind: str  # group or individual
    owner: str  # the group's or the student's name
    findings: list[Finding] = field(default_factory=list)
    error: str = ""  # why the CRM could not be checked

    def to_dict(self) -> dict:
        return {"crm": self.crm, "kind": self.kind, "owner": self.owner,
                "findings": [f.to_dict() for f in self.findings], "error": self.error}


@dataclass
class AuditReport:
    domain: str | None
    crms: list[CrmAudit] = field(default_factory=list)

    @property
    def flagged(self) -> list[CrmAudit]:
        return [c for c in self.crms if c.findings]

    @property
    def errors(self) -> list[CrmAudit]:
        return [c for c in self.crms if c.error]

    def summary_line(self) -> str:
        found = sum(len(c.findings) for c in self.crms)
        checked, flagged, errors = len(self.crms), len(self.flagged), len(self.errors)
        if not found:
            line = ngettext("{n} CRM checked: no sharing wider than members and backoffice",
                            "{n} CRMs checked: no sharing wider than members and backoffice", checked).format(n=checked)
        else:
            line = ngettext("{n} CRM checked: {found} findings in {flagged} CRMs",
                            "{n} CRMs checked: {found} findings in {flagged} CRMs", checked).format(
                                n=checked, found=found, flagged=flagged)
        if errors:
            line += _("; {n} could not be checked").format(n=errors)
        return line

    def to_dict(self) -> dict:
        return {"domain": self.domain, "crms": [c.to_dict() for c in self.crms],
                "flagged": len(self.flagged), "errors": len(self.errors), "summary": self.summary_line()}

    def render(self) -> list[str]:
        if self.domain:
            lines = [_("Sharing audit ({n} CRMs, domain {domain})").format(n=len(self.crms), domain=self.domain)]
        else:
            lines = [_("Sharing audit ({n} CRMs)").format(n=len(self.crms))]
        for crm in self.crms:
            where = f"{crm.kind:10} {crm.owner:20} {crm.crm}"
            if crm.error:
                lines.append(_("  ERROR {where}: {problem}").format(where=where, problem=crm.error))
            for finding in crm.findings:
                role = f" ({finding.role})" if finding.role else ""
                lines.append(_("  WIDE  {where}: {finding}").format(where=where, finding=finding.detail + role))
        if not self.flagged and not self.errors:
            lines.append(_("  (nothing to fix)"))
        return lines


def _email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _inside(domain_of_account: str, domain: str) -> bool:
    domain = domain.lower().lstrip("@")
    return domain_of_account == domain or domain_of_account.endswith("." + domain)


def sharing_findings(permissions: Iterable[dict], domain: str | None = None,
                     allowed: Iterable[str] = ()) -> list[Finding]:
    """Drive Permission resources -> what is wider than members and backoffice."""
    allow = {a.strip().lower().lstrip("@") for a in allowed if a.strip()}
    findings = []
    for perm in permissions:
        kind, role, pid = perm.get("type", ""), perm.get("role", ""), str(perm.get("id", ""))
        if kind == "anyone":
            if perm.get("allowFileDiscovery"):
                texts = (_("anyone with the link and findable in search"),
                         sheet_("anyone with the link and findable in search"))
            else:
                texts = (_("anyone with the link"), sheet_("anyone with the link"))
            findings.append(_finding(ANYONE, texts, role, pid))
        elif kind == "domain":
            where = perm.get("domain", "")
            if where.lower() in allow:
                continue
            if where:
                texts = (_("everyone in {domain} with the link").format(domain=where),
                         sheet_("everyone in {domain} with the link").format(domain=where))
            else:
                texts = (_("everyone in a domain with the link"), sheet_("everyone in a domain with the link"))
            findings.append(_finding(DOMAIN, texts, role, pid))
        elif kind in ("user", "group"):
            email = (perm.get("emailAddress") or "").strip()
            account_domain = _email_domain(email)
            if not domain or not email or email.lower() in allow or account_domain in allow:
                continue
            if not _inside(account_domain, domain):
                facts = {"email": mask_email(email), "domain": domain}
                if kind == "group":
                    texts = (_("group {email} outside {domain}").format(**facts),
                             sheet_("group {email} outside {domain}").format(**facts))
                else:
                    texts = (_("user {email} outside {domain}").format(**facts),
                             sheet_("user {email} outside {domain}").format(**facts))
                findings.append(_finding(OUTSIDE, texts, role, pid))
    return findings


def file_mode_findings(mode: int) -> list[Finding]:
    """A local workbook readable by the group or others (mode & 0o044)."""
    wide = mode & 0o044
    if not wide:
        return []
    facts = {"mode": f"{stat.S_IMODE(mode):04o}"}
    if wide & 0o040 and wide & 0o004:
        texts = (_("file readable by the group and everyone on this machine (mode {mode}; chmod 600 fixes it)"),
                 sheet_("file readable by the group and everyone on this machine (mode {mode}; chmod 600 fixes it)"))
    elif wide & 0o040:
        texts = (_("file readable by the group (mode {mode}; chmod 600 fixes it)"),
                 sheet_("file readable by the group (mode {mode}; chmod 600 fixes it)"))
    else:
        texts = (_("file readable by everyone on this machine (mode {mode}; chmod 600 fixes it)"),
                 sheet_("file readable by everyone on this machine (mode {mode}; chmod 600 fixes it)"))
    return [_finding(FILE_MODE, (texts[0].format(**facts), texts[1].format(**facts)))]


def running_account(credentials: str | None = None) -> str | None:
    """The e-mail of the account the Google requests run as, when known without a request:
    the emulator's own account when CHAS_SHEETS_API_URL points at one, else the service
    account of the key (`credentials` or GOOGLE_APPLICATION_CREDENTIALS); None for a login."""
    from chas_sheets.backends.google_auth import service_account_email
    from chas_sheets.backends.google_http import EMULATOR_ACCOUNT, api_url_from_env

    if api_url_from_env():  # requests go unauthenticated to the emulator: they act as its owner
        return EMULATOR_ACCOUNT
    return service_account_email(credentials)


def with_running_account(allowed: Iterable[str], credentials: str | None = None) -> tuple[str, ...]:
    """`allowed` plus the account running the audit (backoffice itself), when known."""
    me = running_account(credentials)
    return (*allowed, *([me] if me else []))


def audit_register(register: Register, open_backend: Callable[[str], Backend], domain: str | None = None,
                   allowed: Iterable[str] = ()) -> AuditReport:
    """Every CRM of the register checked; one that cannot be checked is reported, the rest go on."""
    allowed = list(allowed)
    report = AuditReport(domain)
    for job in crm_jobs(register):
        crm = CrmAudit(job.target, job.kind, job.owner)
        try:
            if is_google_reference(crm.crm):
                backend = open_backend(crm.crm)
                crm.findings = sharing_findings(backend.list_permissions(), domain, allowed)
            else:
                crm.findings = file_mode_findings(os.stat(crm.crm).st_mode)
        except ChasSheetsError as exc:
            crm.error = mask_text(str(exc).removeprefix(f"{crm.crm}: "))  # the line names the CRM already
        except OSError as exc:
            crm.error = _("cannot read the file ({reason})").format(reason=exc.strerror or type(exc).__name__)
        report.crms.append(crm)
    return report
