"""Serve the emulator on loopback with wsgiref (threaded; stdlib only)."""

from __future__ import annotations

import socketserver
import sys
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from chas_sheets.emulator.app import Emulator
from chas_sheets.emulator.errors import DroppedConnection


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _DroppingServerHandler(ServerHandler):
    "An injected DroppedConnection closes the socket without a byte of answer, silently."

    def handle_error(self):
        if isinstance(sys.exc_info()[1], DroppedConnection):
            raise _Drop()  # wsgiref's run() closes this handler, then lets _Drop reach handle()
        super().handle_error()

    def close(self):
        if self.status is None:  # dropped before answering: wsgiref's access log would fail on it
            SimpleHandler.close(self)
        else:
            super().close()


class _Drop(Exception):
    pass


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def handle(self):
        # wsgiref's own handle(), with our ServerHandler so a drop closes the connection.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            return
        handler = _DroppingServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(),
                                         multithread=True)
        handler.request_handler = self
        try:
            handler.run(self.server.get_app())
        except _Drop:
            self.close_connection = True


def make_emulator_server(app, host: str = "127.0.0.1", port: int = 0):
    "A ready (not yet serving) server; `server.server_port` is the port picked."
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)


def serve(host: str = "127.0.0.1", port: int = 0, state_file=None, app=None, **options) -> None:
    "Serve until interrupted; prints the URL to point CHAS_SHEETS_API_URL at."
    app = app or Emulator(state_file=state_file, **options)
    app.allowed_hosts |= {host.lower()}  # the name it was told to listen on is its own
    server = make_emulator_server(app, host, port)
    print(f"Sheets API emulator on http://{host}:{server.server_port} (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
