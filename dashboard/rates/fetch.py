"""Fetching the ECB's daily reference rates over HTTP (no Flask): the URL comes from the caller's settings."""
from __future__ import annotations

import requests

from dashboard.importers.records import ImportFileError
from dashboard.rates.files import PublishedRate, read_ecb_xml

TIMEOUT_SECONDS = 30
LARGEST_RESPONSE = 5 * 1024 * 1024  # the history XML is about 2 MB; anything far bigger is not the ECB's


class RatesFetchError(RuntimeError):
    """The rates could not be fetched or read; the message is one line, naming the URL."""


def fetch_ecb_rates(url: str, timeout: float = TIMEOUT_SECONDS) -> list[PublishedRate]:
    """The rates in the ECB reference-rate XML at ``url``."""
    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise RatesFetchError(f"{url} answered {response.status_code} {response.reason}")
            body = response.raw.read(LARGEST_RESPONSE + 1, decode_content=True)
    except requests.RequestException as error:
        raise RatesFetchError(f"could not fetch {url}: {type(error).__name__}") from None
    if len(body) > LARGEST_RESPONSE:
        raise RatesFetchError(f"{url} sent more than {LARGEST_RESPONSE // (1024 * 1024)} MB: not the ECB's rates")
    try:
        return read_ecb_xml(body)
    except ImportFileError as error:
        raise RatesFetchError(f"{url}: {error}") from None
