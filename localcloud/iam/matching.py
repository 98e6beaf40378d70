"""Wildcard matching as IAM does it for actions, ARNs and string conditions.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
"""

from __future__ import annotations

import re
from functools import cache


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), (re.IGNORECASE | re.DOTALL) if ignore_case else re.DOTALL)


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """StringLike: ``*`` any run of characters, ``?`` any one character, anywhere in the value."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Action names are case-insensitive ("iam:listaccesskeys" is "IAM:ListAccessKeys")."""
    return pattern == "*" or like(pattern, action, ignore_case=True)


@cache
def _arn(pattern: str) -> re.Pattern[str]:
    # "You can use wildcard characters (* and ?) within any ARN segment (the parts separated by
    # colons) ... If the * wildcard is the last character of a resource ARN segment, it can expand
    # to match beyond the colon boundaries." (the Resource element page)
    out: list[str] = []
    for i, ch in enumerate(pattern):
        if ch == "*":
            last_of_segment = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append(".*" if last_of_segment else "[^:]*")
        elif ch == "?":
            out.append("[^:]")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    """A Resource/NotResource entry, or an ArnLike value, against a request's ARN (case-sensitive)."""
    return pattern == "*" or _arn(pattern).fullmatch(arn) is not None
