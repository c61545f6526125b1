"""A loopback HTTP server speaking Teller's documented JSON (API 2020-10-12), for the client and sync tests.

``TellerState`` holds the bank: tokens, accounts, transactions (kept newest first)
and scripted faults (``fail(path, status, ...)`` answers the next requests to a
path with an error, a ``Retry-After``, an answer sent late (status 0 and a delay:
the answer is read from the bank before the wait), a dropped connection or an HTML page). ``mtls_files`` makes a test
CA, a server certificate and a client certificate with ``cryptography``; the
server then refuses any client without the client certificate.
"""
from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class TellerState:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> enrollment id
    accounts: dict[str, dict] = field(default_factory=dict)
    transactions: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    balances: dict[str, dict] = field(default_factory=dict)
    faults: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    requests: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() of each request, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_account(self, token: str, account_id: str, name: str = "Checking", enrollment: str = "enr_1",
                    subtype: str = "checking", last_four: str = "1234", **extra) -> dict:
        self.tokens[token] = enrollment
        base = f"/accounts/{account_id}"
        self.accounts[account_id] = {
            "id": account_id, "enrollment_id": enrollment, "institution": {"id": "gringotts", "name": "Gringotts"},
            "last_four": last_four, "name": name, "type": "credit" if subtype == "credit_card" else "depository",
            "subtype": subtype, "currency": "USD", "status": "open",
            "links": {"self": base, "balances": f"{base}/balances", "transactions": f"{base}/transactions"}, **extra}
        self.balances[account_id] = {"account_id": account_id, "ledger": "100.00", "available": "90.00"}
        return self.accounts[account_id]

    def add_transaction(self, account_id: str, transaction_id: str, day: str, amount: str, description: str,
                        status: str = "posted", category: str | None = "dining", counterparty: str | None = None):
        row = {"id": transaction_id, "account_id": account_id, "amount": amount, "date": day,
               "description": description, "status": status, "type": "card_payment", "running_balance": None,
               "details": {"category": category, "processing_status": "complete",
                           "counterparty": {"name": counterparty, "type": "organization"}}}
        rows = self.transactions[account_id]
        rows.append(row)
        rows.sort(key=lambda r: (r["date"], r["id"]), reverse=True)
        return row

    def remove_transaction(self, account_id: str, transaction_id: str) -> None:
        self.transactions[account_id] = [r for r in self.transactions[account_id] if r["id"] != transaction_id]

    def fail(self, path: str, status: int, code: str = "error", times: int = 1, retry_after: int | None = None,
             delay: float = 0.0, drop: bool = False, page: bytes | None = None) -> None:
        """Script the next ``times`` answers to ``path``; ``page`` answers 200 with that HTML (a proxy's page)."""
        for _ in range(times):
            self.faults[path].append((status, code, retry_after, delay, drop, page))


class _Handler(BaseHTTPRequestHandler):
    state: TellerState

    def log_message(self, *_args):
        pass

    delay = 0.0  # seconds to hold a computed answer back

    def do_GET(self):
        url = urlsplit(self.path)
        state = self.state
        with state.lock:
            state.requests.append(url.path)
            state.arrivals.append(time.monotonic())
            fault = state.faults[url.path].popleft() if state.faults[url.path] else None
        if fault:
            status, code, retry_after, self.delay, drop, page = fault
            if drop:
                self.close_connection = True
                return self.connection.shutdown(socket.SHUT_RDWR)
            if page is not None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                return self.wfile.write(page)
            if status:
                return self._error(status, code, retry_after)
        token = self._token()
        if token not in state.tokens:
            return self._error(401, "unauthorized", None)
        if self.headers.get("Teller-Version") != "2020-10-12":
            return self._error(400, "bad_request", None)
        enrollment = state.tokens[token]
        parts = url.path.strip("/").split("/")
        mine = {k: v for k, v in state.accounts.items() if v["enrollment_id"] == enrollment}
        if parts == ["accounts"]:
            return self._json(list(mine.values()))
        if len(parts) < 2 or parts[0] != "accounts" or parts[1] not in mine:
            return self._error(404, "not_found", None)
        if len(parts) == 2:
            return self._json(mine[parts[1]])
        if parts[2] == "balances":
            return self._json(state.balances[parts[1]])
        if parts[2] == "transactions":
            return self._json(self._page(state.transactions[parts[1]], parse_qs(url.query)))
        return self._error(404, "not_found", None)

    @staticmethod
    def _page(rows: list[dict], query: dict) -> list[dict]:
        if "start_date" in query:
            rows = [r for r in rows if r["date"] >= query["start_date"][0]]
        if "from_id" in query:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(query["from_id"][0]) + 1:] if query["from_id"][0] in ids else []
        return rows[:int(query.get("count", ["1000"])[0])]

    def _token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
        return user

    def _json(self, body, status: int = 200, headers: dict | None = None):
        data = json.dumps(body).encode()
        time.sleep(self.delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, retry_after: int | None):
        self._json({"error": {"code": code, "message": f"test server says {code}"}}, status,
                   {"Retry-After": str(retry_after)} if retry_after is not None else None)


@contextmanager
def teller_server(state: TellerState, tls: ssl.SSLContext | None = None):
    """Serve ``state`` on 127.0.0.1 in a thread; yields the base URL."""
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class MtlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert, self.server_key)
        context.load_verify_locations(self.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        return context


def mtls_files(folder: Path) -> MtlsFiles:
    """A test CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Teller CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def issue(name: str, server: bool):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1)))
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return key, builder.sign(ca_key, hashes.SHA256())

    def write(path: Path, key, cert) -> tuple[Path, Path]:
        cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_path, key_path

    ca_path, _ = write(folder / "ca", ca_key, ca)
    server_cert, server_key = write(folder / "server", *issue("127.0.0.1", True))
    client_cert, client_key = write(folder / "client", *issue("dashboard", False))
    return MtlsFiles(ca_path, server_cert, server_key, client_cert, client_key)
