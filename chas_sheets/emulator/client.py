"""Point the real, unmodified gspread client at an emulator: in process or at a base URL."""

from __future__ import annotations

import gspread
import requests

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class _RewriteHost(requests.adapters.HTTPAdapter):
    "Send Google's URLs to the emulator's base URL, keeping path and query unchanged."

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request, **kwargs):
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host + "/"):
                request.url = self.base_url + request.url[len(host):]
                break
        return super().send(request, **kwargs)


def emulator_session(app_or_base_url) -> requests.Session:
    """A requests session whose calls to Google's hosts reach the emulator: a WSGI app
    in process (requests-wsgi-adapter, no socket) or a base URL like http://127.0.0.1:8765."""
    session = requests.Session()
    session.trust_env = False  # proxies from the environment must not catch loopback calls
    session.headers["Authorization"] = "Bearer emulator-access-token"  # gspread's scopes: Sheets and all of Drive
    if isinstance(app_or_base_url, str):
        adapter = _RewriteHost(app_or_base_url)
    else:
        from wsgiadapter import WSGIAdapter

        adapter = WSGIAdapter(app_or_base_url)
    for host in GOOGLE_HOSTS:
        session.mount(host + "/", adapter)
    return session


def gspread_client_for(app_or_base_url, http_client=gspread.HTTPClient) -> gspread.Client:
    "The real gspread.Client talking to the emulator."
    return gspread.Client(auth=None, session=emulator_session(app_or_base_url), http_client=http_client)
