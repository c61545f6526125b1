"""File downloads: one response for every CSV the pages offer, named safely for every browser."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response, stream_with_context

CSV_MIMETYPE = "text/csv"


def download_response(body: Iterable[str] | str, filename: str, mimetype: str = CSV_MIMETYPE) -> Response:
    """``body`` (text, or lines streamed inside the request context) as an attachment called ``filename``."""
    content = body if isinstance(body, str) else stream_with_context(body)
    response = Response(content, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", **download_names(filename))
    return response


def download_names(filename: str) -> dict[str, str]:
    """``filename`` in ASCII for every browser, and exactly (RFC 6266 ``filename*``) for those that read it.

    Headers are Latin-1 on the wire, so an account named in Cyrillic or Greek
    would otherwise break the download.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c if c.isalnum() or c in "-_. " else "_" for c in ascii_name)
    return {"filename": plain, "filename*": "UTF-8''" + quote(filename, safe="")}
