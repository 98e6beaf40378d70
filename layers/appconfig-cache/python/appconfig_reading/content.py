"""Content type -> which syntax the body is read in.

AppConfig serves a configuration with the content type it was stored with. An S3 object uploaded
without one has S3's default, ``binary/octet-stream``; the agent's local development mode gives a
file without an extension ``application/octet-stream`` and ``.txt`` ``text/plain``. Those, and no
type at all, say nothing about the syntax: such a body is read as JSON when it is JSON text, as
YAML otherwise. A JSON type is read as JSON only, a YAML type as YAML only. The validator refuses
a feature file that JSON and YAML would read differently, so for every body it accepts the
three choices give the same document.
"""

from __future__ import annotations

from appconfig_reading.errors import DocumentError, whole

JSON = "json"
YAML = "yaml"
EITHER = "json or yaml"

# Types that do not name a syntax (S3's default first).
UNTYPED = frozenset({"", "binary/octet-stream", "application/octet-stream", "text/plain"})
_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def syntax_for(content_type: str | None) -> str:
    """``JSON``, ``YAML`` or ``EITHER``; ``DocumentError`` for a type that is neither."""
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in _UTF8:
            raise _refused("declares a character set other than UTF-8, which configurations are read as")
    if media in UNTYPED:
        return EITHER
    subtype = media.rpartition("/")[2]
    if subtype.endswith("json"):
        return JSON
    if subtype.endswith(("yaml", "yml")):
        return YAML
    raise _refused(f"{media[:100]!r} is neither JSON nor YAML")


def _refused(why: str) -> DocumentError:
    return whole(f"the configuration's content type {why}", "content-type")
