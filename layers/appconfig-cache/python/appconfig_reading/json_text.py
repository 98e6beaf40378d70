"""JSON text -> data with the standard library, refusing what RFC 8259 JSON is not.

Python's ``json`` also reads ``NaN``, ``Infinity`` and ``-Infinity``, and turns numbers too large
for a float into infinity: neither can be written back as JSON, and YAML reads the first three as
text. Both are refused, located. Duplicate keys keep the last value, as every JSON reader in the
standard library does; the validator refuses them in a feature file (its YAML reading does).
"""

from __future__ import annotations

import json
import math
import re
import sys

from appconfig_reading.errors import DocumentError, Issue
from appconfig_reading.text import position_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Outside strings, JSON's tokens are unambiguous: skipping strings finds the one a hook refused.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|NaN|-?Infinity|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
_JSON_START = frozenset('{["-0123456789tfn \t\r\n')


class _Refused(Exception):
    def __init__(self, message: str, code: str, token: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.token = token


def _constant(name: str) -> Any:
    raise _Refused(f"{name.lstrip('-')} is not JSON: JSON has no infinity or NaN", "not-json-number", name)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number too large for a 64-bit float", "not-finite", text)
    return value


def looks_like_json(text: str) -> bool:
    """Whether ``text`` can be JSON at all, judged by its first character (cheap, never wrong)."""
    return bool(text) and text[0] in _JSON_START


def read_json(text: str) -> Any:
    """``text`` as JSON, or ``DocumentError`` located at the first character that is not JSON."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_number)
    except json.JSONDecodeError as error:
        raise _error(text, error.pos, f"JSON syntax: {error.msg}", "json-syntax") from None
    except _Refused as refused:
        raise _error(text, _locate(text, refused.token), refused.message, refused.code) from None
    except RecursionError:
        raise _error(text, 0, "JSON nesting deeper than Python's JSON reader follows", "too-deep") from None
    except ValueError as error:  # integers over Python's digit limit
        index = _locate_long_integer(text)
        message = "an integer with more digits than Python's readers accept"
        raise _error(text, index, message, "too-many-digits") from error


def _error(text: str, index: int, message: str, code: str) -> DocumentError:
    line, column = position_of(text, index)
    return DocumentError([Issue(line, column, message, code)])


def _locate(text: str, token: str) -> int:
    return next((m.start() for m in _TOKEN.finditer(text) if m.group() == token), 0)


def _locate_long_integer(text: str) -> int:
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] != '"' and not any(c in token for c in ".eE") and len(token.lstrip("-")) > limit:
            return match.start()
    return 0
