"""Resources and operations from what the user wrote: "customers create and list orders".

A small, predictable reader rather than a parser: a noun right after CRUD verbs ("create and
list orders", "cancel an order"), or near API words ("an orders endpoint", "endpoints for
invoices", "/payments"). Words like "it", "data" or "api" are never resources. What it misses,
`/resource NAME` adds by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.export.deliverables.models import OPERATIONS, Operation, Resource
from keywords.inflect import plural

# Verb forms -> operation. Only forms a person writes about an API; no stemming surprises.
_VERBS: dict[str, Operation] = {}
for _op, _forms in {
    "create": "create creates created creating add adds added adding place places placed "
              "placing submit submits submitted submitting register registers registered "
              "registering post posts posted posting make makes",
    "list": "list lists listed listing browse browses browsing search searches searching",
    "get": "get gets view views viewed viewing read reads see sees show shows fetch fetches "
           "fetched retrieve retrieves retrieved look",
    "update": "update updates updated updating edit edits edited editing change changes "
              "changed changing modify modifies modified rename renames renamed",
    "delete": "delete deletes deleted deleting remove removes removed removing cancel cancels "
              "cancelled canceled cancelling archive archives archived",
}.items():
    for _form in _forms.split():
        _VERBS[_form] = _op  # type: ignore[assignment]

_JOINERS = frozenset({"and", "or", "&", "also", "then", "/", "+"})
_DETERMINERS = frozenset({
    "a", "an", "the", "their", "our", "your", "my", "his", "her", "its", "all", "any", "some",
    "each", "every", "up", "at", "new", "existing", "own", "past", "recent", "active",
    "pending", "old", "current", "single", "one", "many", "multiple", "of", "for",
})
_MODALS = frozenset({
    "can", "could", "should", "must", "will", "may", "might", "to", "be", "able", "want",
    "wants", "need", "needs", "who", "that", "also", "then", "just", "only",
})
# Never a resource: pronouns, API words, vague nouns.
_NOT_NOUNS = frozenset({
    "it", "them", "this", "that", "these", "those", "things", "thing", "stuff", "data",
    "something", "anything", "everything", "api", "apis", "endpoint", "endpoints", "resource",
    "resources", "service", "services", "backend", "app", "application", "system", "way",
    "request", "requests", "response", "responses", "page", "pages", "list", "lists", "more",
    "details", "detail", "info", "information", "rest", "graphql", "grpc", "websocket", "crud",
    "sure", "changes", "we", "you", "they", "i", "me", "us", "he", "she", "there", "here",
    "what", "which", "how", "when", "where", "why", "and", "or", "not", "out", "in", "on",
    "with", "by", "from", "into", "over", "about", "as", "is", "are", "was", "be", "been",
    "do", "does", "done", "time", "real", "fast", "quickly", "easily", "later", "now",
})
_API_WORDS = frozenset({"endpoint", "endpoints", "resource", "resources", "api", "apis", "route",
                        "routes"})
_WORD = re.compile(r"/[a-z][a-z0-9_-]*|[a-z][a-z0-9_-]*|&|\+|,|\.|;|:|\?|!")
_PATH = re.compile(r"(?<![\w.])/([a-z][a-z0-9_-]{2,})(/\{?[a-z_]*\}?)?")
_HTTP = re.compile(r"\b(get|post|put|patch|delete)\s+(?=/)")
_HTTP_OPS: dict[str, Operation] = {"post": "create", "put": "update", "patch": "update",
                                   "delete": "delete"}
DEFAULT_OPERATIONS: tuple[Operation, ...] = ("list", "create", "get")


def singular(word: str) -> str:
    """The regular English singular of one lower-case word ("orders" -> "order")."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def article(noun: str) -> str:
    """'a order' reads wrong: 'an order', 'a user'."""
    return f"an {noun}" if noun[:1] in "aeio" else f"a {noun}"


def resource_name(word: str) -> str:
    """The path name of a resource: lower case, plural, '-' between words ("order" -> "orders")."""
    word = re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-")
    if not word:
        return ""
    last = word.rsplit("-", 1)[-1]
    if singular(last) != last:
        return word
    return word[: len(word) - len(last)] + plural(last)


def _noun(word: str) -> bool:
    if word.endswith("ed") and not word.endswith("eed"):  # "updates pushed": a participle
        return False
    return len(word) >= 3 and word.isascii() and word[0].isalpha() and word not in _NOT_NOUNS \
        and word not in _VERBS and word not in _DETERMINERS and word not in _MODALS


def _sentences(text: str) -> Iterable[list[str]]:
    words: list[str] = []
    for token in _WORD.findall(text.lower()):
        if token in (".", ";", ":", "?", "!"):
            if words:
                yield words
            words = []
        else:
            words.append(token)
    if words:
        yield words


def _actor(words: list[str], start: int) -> str:
    """The noun right before the verbs (modal words skipped): "customers (can) create"."""
    i = start - 1
    while i >= 0 and words[i] in _MODALS:
        i -= 1
    if i >= 0 and _noun(words[i]) and not words[i].startswith("/"):
        return words[i]
    return ""


def extract_resources(texts: Iterable[str]) -> list[Resource]:
    """The resources named in `texts` (the user's messages, oldest first), first seen first."""
    found: dict[str, dict] = {}

    def add(noun: str, ops: Iterable[Operation], actor: str, words: str) -> None:
        name = resource_name(noun)
        if not name:
            return
        entry = found.setdefault(name, {"ops": set(), "actor": "", "words": words})
        entry["ops"].update(ops)
        entry["actor"] = entry["actor"] or actor

    for text in texts:
        lowered = text.lower()
        for match in _PATH.finditer(lowered):
            if not _noun(match.group(1)):
                continue
            before = lowered[max(0, match.start() - 8) : match.start() + 1]
            method = _HTTP.search(before)
            ops: tuple[Operation, ...] = ()
            if method is not None and method.end() == len(before) - 1:
                verb = method.group(1)
                ops = (_HTTP_OPS.get(verb) or ("get" if match.group(2) else "list"),)
            add(match.group(1), ops, "", match.group(0))
        for words in _sentences(_HTTP.sub(" ", lowered)):
            _read_sentence(words, add)
    out = []
    for name, entry in found.items():
        ops = tuple(op for op in OPERATIONS if op in entry["ops"]) or DEFAULT_OPERATIONS
        out.append(Resource(name=name, operations=ops, actor=resource_name(entry["actor"])
                            if entry["actor"] else "", words=entry["words"]))
    return out


def _read_sentence(words: list[str], add) -> None:
    i = 0
    n = len(words)
    while i < n:
        word = words[i]
        if word == "crud" or word in _VERBS:
            start = i
            ops: set[Operation] = set()
            # A run of verbs joined by and/or/commas: "create, update and cancel".
            while i < n and (words[i] in _VERBS or words[i] == "crud" or words[i] in _JOINERS
                             or words[i] == ","):
                if words[i] == "crud":
                    ops.update(OPERATIONS)
                elif words[i] in _VERBS:
                    ops.add(_VERBS[words[i]])
                i += 1
            if ops == {"get"}:
                # "view their invoices": reading many is listing; "view an order" is one
                k = i
                while k < n and words[k] in _DETERMINERS:
                    k += 1
                if k < n and singular(words[k]) != words[k]:
                    ops = {"list"}
            while i < n and words[i] in _DETERMINERS:
                i += 1
            if i < n and words[i] == "crud":  # "crud for orders"
                ops.update(OPERATIONS)
                i += 1
                while i < n and words[i] in _DETERMINERS:
                    i += 1
            if i < n and _noun(words[i].lstrip("/")):
                # "create orders and invoices": the nouns joined to the first share the verbs
                nouns = [words[i].lstrip("/")]
                j = i + 1
                while j + 1 < n and words[j] in ("and", "or", ",") and _noun(words[j + 1]) \
                        and (j + 2 >= n or words[j + 2] not in _VERBS):
                    nouns.append(words[j + 1])
                    j += 2
                phrase = " ".join(words[start:j])
                for noun in nouns:
                    add(noun, ops, _actor(words, start), phrase)
                i = j
            continue
        if word in _API_WORDS:
            # "orders endpoint", "endpoints for invoices", "the payments api"
            before = words[i - 1] if i > 0 else ""
            after = [w for w in words[i + 1 : i + 4] if w not in _DETERMINERS]
            if before and _noun(before) and not before.startswith("/"):
                add(before, (), "", f"{before} {word}")
            elif i + 1 < n and words[i + 1] in ("for", "to", "of") and after and _noun(after[0]):
                add(after[0], (), "", f"{word} {words[i + 1]} {after[0]}")
        i += 1
