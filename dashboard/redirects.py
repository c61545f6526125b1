"""The one check every ``next`` goes through before the app redirects to it or renders it as a link."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit


def local_url(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None.

    Browsers read ``/\\host`` and ``//host`` as another site, ignore tabs and newlines inside a URL,
    and some proxies decode ``%5C`` and ``%2F`` before the browser sees them: a path with any of these,
    in plain or percent-encoded form, is refused rather than repaired.
    """
    if not target or len(target) > 2000:
        return None
    for form in (target, unquote(target), unquote(unquote(target))):
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in form) or "\\" in form:
            return None
        if not form.startswith("/") or form.startswith("//"):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    return target
