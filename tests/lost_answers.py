"""A fault the emulator's own switchboard does not offer: the request IS applied, then its
answer is lost on the way back (the case where repeating a write blindly would double it)."""

from __future__ import annotations

from chas_sheets.emulator.errors import DroppedConnection


def losing_answer_to_post(app, number: int = 1):
    """A WSGI app like `app` that applies every request but drops the answer to POST `number`."""
    posts = {"n": 0}

    def wrapped(environ, start_response):
        body = app(environ, start_response)
        if environ["REQUEST_METHOD"] == "POST":
            posts["n"] += 1
            if posts["n"] == number:
                raise DroppedConnection("the answer never arrived")
        return body

    return wrapped
