"""SLACK_API_URL: what makes it usable, and how it is quoted in an error without its credentials."""

from __future__ import annotations

import re
import urllib.parse

_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]*@")


def without_credentials(text: str) -> str:
    """``text`` with any URL's ``user:password@`` replaced by ``***@`` (for error messages and logs)."""
    return _USERINFO_RE.sub("***@", text)


def check_api_url(value: str) -> str:
    """The Web API base URL, normalised (trailing slash); ValueError when slack_sdk could not use it.

    http(s) in any case, a host, a valid port, no ``user:password@``, and nothing the URL parser
    rejects (an unclosed IPv6 bracket, or credentials, raised a traceback at the first call before this).
    """
    value = value.strip()
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        raise ValueError("not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError("not an http(s) URL")
    if "@" in parts.netloc:
        # slack_sdk sends the token in an Authorization header, which aiohttp refuses to combine with these.
        raise ValueError("credentials in the URL")
    # slack_sdk joins method names onto the base URL, which needs its trailing slash.
    return value if value.endswith("/") else value + "/"
