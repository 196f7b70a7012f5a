"""BM25: rare, specific terms decide; words every document uses do not."""

from keywords.relevance import BM25Index, stem, tokenize


def test_specific_term_beats_common_one():
    docs = [
        "Backend engineer: api design, database, services and api security.",
        "Terraform engineer: remote state backend, modules, providers, api.",
        "Docs writer: api reference pages, tutorials and guides.",
    ]
    index = BM25Index.build(docs)
    best = index.top("where should the terraform remote state backend live", k=1)
    assert best and best[0][0] == 1
    best = index.top("write the api reference for our endpoints", k=1)
    assert best and best[0][0] == 2


def test_term_in_every_document_scores_nothing_against_a_rare_one():
    index = BM25Index.build(["api one", "api two", "api three kafka"])
    assert index.idf("api") < index.idf("kafka")
    assert index.top("kafka")[0][0] == 2


def test_field_weight_counts_as_repeated_occurrences():
    index = BM25Index.build([{"caching": 3.0, "other words here": 1.0}, {"caching": 1.0, "x y": 1.0}])
    scores = index.scores("caching")
    assert scores[0] > scores[1]


def test_chit_chat_matches_nothing():
    index = BM25Index.build(["database indexes and query plans", "jwt tokens and revocation"])
    assert index.top("hi there, thanks a lot!") == []


def test_stemming_joins_inflections():
    assert stem("caching") == stem("cached") == "cach"
    assert stem("queues") == "queue" and stem("indexes") == "index" and stem("policies") == "policy"
    assert tokenize("The Queues") == ["queue"]
