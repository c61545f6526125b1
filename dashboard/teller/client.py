"""A client for Teller's API (version 2020-10-12), free of Flask so tests and jobs call it directly.

Retries are urllib3's: bounded, with exponential backoff and jitter, on 429
(honouring ``Retry-After``), 502, 503, connection errors and read timeouts, and
only for GETs. Any other 4xx is answered at once as a :class:`TellerError`.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

API_VERSION = "2020-10-12"
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
PAGE_SIZE = 250
RETRIED_STATUSES = (429, 502, 503)


class TellerError(RuntimeError):
    """Teller (or the way to it) failed; ``status`` is None when no answer came."""

    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(f"{status or 'no answer'} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def enrollment_broken(self) -> bool:
        """The whole enrollment needs the user: a revoked token or a disconnected bank login."""
        return self.status in (401, 403) or self.code.startswith("enrollment.disconnected")

    @property
    def account_gone(self) -> bool:
        """Teller's 410: the account was closed, for good. A 404 only says "not found" and is tried again."""
        return self.status == 410


@dataclass(frozen=True)
class ClientSettings:
    api_url: str = "https://api.teller.io"
    cert_file: str | None = None
    key_file: str | None = None
    ca_file: str | None = None  # only to trust a test server's CA
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    retries: int = 3
    backoff: float = 0.5


class Backoff(Retry):
    """urllib3's Retry, but backing off before the first retry too (urllib3 retries a first failure at once,
    so every client a bank's hiccup failed would come back in the same instant)."""

    def get_backoff_time(self) -> float:
        failures = len(self.history)
        if not failures:
            return 0.0
        wait = self.backoff_factor * 2 ** (failures - 1) + random.random() * self.backoff_jitter
        return min(self.backoff_max, wait)


class TellerClient:
    def __init__(self, token: str, settings: ClientSettings = ClientSettings()) -> None:
        self.settings = settings
        self.session = requests.Session()
        self.session.auth = (token, "")
        self.session.headers["Teller-Version"] = API_VERSION
        if settings.cert_file:
            self.session.cert = (settings.cert_file, settings.key_file) if settings.key_file else settings.cert_file
        retry = Backoff(total=settings.retries, connect=settings.retries, read=settings.retries,
                      status=settings.retries, status_forcelist=RETRIED_STATUSES, allowed_methods={"GET"},
                      backoff_factor=settings.backoff, backoff_jitter=settings.backoff / 2,
                      respect_retry_after_header=True, raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict | None = None):
        url = self.settings.api_url.rstrip("/") + path
        try:
            # verify is passed per request: requests lets REQUESTS_CA_BUNDLE override a session's own.
            response = self.session.get(url, params=params, timeout=self.settings.timeout,
                                        verify=self.settings.ca_file or True)
        except requests.exceptions.RetryError as error:
            raise TellerError(None, "retries_exhausted", str(error.args[0])[:200]) from None
        except requests.exceptions.ConnectionError as error:
            if "timed out" in str(error):
                raise TellerError(None, "timeout", "Teller did not answer in time") from None
            raise TellerError(None, "connection_failed", type(error).__name__) from None
        except requests.exceptions.Timeout:
            raise TellerError(None, "timeout", "Teller did not answer in time") from None
        if response.status_code >= 400:
            raise _error_from(response)
        try:
            return response.json()
        except ValueError:
            raise TellerError(response.status_code, "bad_answer", "Teller's answer is not JSON") from None

    def accounts(self) -> list[dict]:
        return self.get("/accounts")

    def balances(self, account_id: str) -> dict:
        return self.get(f"/accounts/{account_id}/balances")

    def transactions(self, account_id: str, start_date: str | None = None) -> Iterator[dict]:
        """Every transaction (newest first) from ``start_date`` on, page by page until a short page."""
        params: dict = {"count": PAGE_SIZE}
        if start_date:
            params["start_date"] = start_date
        while True:
            page = self.get(f"/accounts/{account_id}/transactions", params)
            yield from page
            if len(page) < PAGE_SIZE:
                return
            params["from_id"] = page[-1]["id"]


def _error_from(response) -> TellerError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    return TellerError(response.status_code, str(error.get("code", "http_error")),
                       str(error.get("message", response.reason))[:255])


def settings_from_config(config) -> ClientSettings:
    """Client settings from an app's config mapping (TELLER_API_URL, TELLER_CERT_FILE, TELLER_KEY_FILE)."""
    return ClientSettings(api_url=config.get("TELLER_API_URL") or ClientSettings.api_url,
                          cert_file=config.get("TELLER_CERT_FILE"), key_file=config.get("TELLER_KEY_FILE"),
                          ca_file=config.get("TELLER_CA_FILE"))
