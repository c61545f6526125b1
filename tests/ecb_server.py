"""A loopback HTTP server that serves the ECB daily XML sample (or an error), for the rates fetch tests."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DAILY_XML = Path(__file__).parent / "fixtures" / "ecb" / "eurofxref-daily.xml"


@contextmanager
def ecb_server(body: bytes | None = None, status: int = 200):
    """Serve ``body`` (the daily XML sample by default) with ``status`` at any path; yields the base URL."""
    payload = DAILY_XML.read_bytes() if body is None else body

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
