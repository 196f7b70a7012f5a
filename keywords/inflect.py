"""Which surface forms count as a keyword: a small fixed table plus one generic rule.

Every form is lower case; a single space inside a form means "any run of whitespace or one
hyphen" when matching, so ``back end`` also matches ``back-end`` and ``back\\nend``.
All forms match on word boundaries only (``rapid``, ``capital``, ``apiary`` never match ``api``).

Built-in table (decided once, tested one by one in tests/test_keywords.py):

==============  ===========================================================  =====================
keyword         forms that match                                             deliberately NOT
==============  ===========================================================  =====================
api             api, apis                                                    rapid, capital, apiary
database        database, databases                                          databased
service         service, services                                            serviced, servicing
                                                                             (cars get serviced)
backend         backend, backends, back end, back ends (back-end, ...)       backendy
microservice    microservice(s), micro service(s) (micro-service, ...)       microservicing
authentication  authentication, authenticate(s/d), authenticating, auth      author, oauth, authz
                (``auth`` only as a whole word: ``auth-service`` yes)
security        security, secure, secures, secured, securing                 insecure, securities
                                                                             (finance)
==============  ===========================================================  =====================

Generic rule for any other keyword (e.g. cues like ``root cause`` or ``design system``):
the form as written, plus a plural of its last word — ``-ies`` for consonant + ``y``,
``-es`` after s/x/z/ch/sh, else ``-s``; words are joined by whitespace or a hyphen.
"""

from __future__ import annotations

import re

SEPARATOR = " "  # inside a form: any whitespace run or one hyphen in the text

BUILTIN_FORMS: dict[str, tuple[str, ...]] = {
    "api": ("api", "apis"),
    "database": ("database", "databases"),
    "service": ("service", "services"),
    "backend": ("backend", "backends", "back end", "back ends"),
    "microservice": ("microservice", "microservices", "micro service", "micro services"),
    "authentication": (
        "authentication",
        "authenticate",
        "authenticates",
        "authenticated",
        "authenticating",
        "auth",
    ),
    "security": ("security", "secure", "secures", "secured", "securing"),
}

_SPLIT = re.compile(r"[\s\-]+")
_VOWELS = frozenset("aeiou")


def normalize(keyword: str) -> str:
    """Lower case, words joined by one space (``Root-Cause`` -> ``root cause``)."""
    return SEPARATOR.join(w for w in _SPLIT.split(keyword.strip().lower()) if w)


def plural(word: str) -> str:
    """The regular English plural of one word."""
    if len(word) > 1 and word.endswith("y") and word[-2] not in _VOWELS:
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def forms(keyword: str) -> tuple[str, ...]:
    """All lower-case forms of keyword that count as a mention (first is the keyword)."""
    base = normalize(keyword)
    if not base:
        return ()
    if base in BUILTIN_FORMS:
        return BUILTIN_FORMS[base]
    head, _, last = base.rpartition(SEPARATOR)
    if not last.isalpha():  # "c++", "node.js", "oauth2": no plural
        return (base,)
    many = plural(last)
    return (base, f"{head}{SEPARATOR}{many}" if head else many)
