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


from keywords import Activator  # noqa: E402
from keywords.profile import RelevanceModel, build_profile, describe  # noqa: E402


def _profiles():
    return [
        build_profile("terraform-engineer", {
            "name": "terraform engineer",
            "description": "Terraform modules, remote state backends with locking, drift.",
            "body": "You keep plans readable. Have a good day reviewing modules.",
        }),
        build_profile("docs-writer", {
            "name": "docs writer",
            "description": "API reference pages, quickstart guides and changelogs.",
            "body": "Good docs answer one question per page.",
        }),
        build_profile("backend", {
            "keywords": ["api", "database"],
            "description": "Backend services: api design and database schemas.",
            "body": "A good api has clear errors.",
        }),
    ]


def test_a_rare_description_word_decides_and_says_where_it_came_from():
    model = RelevanceModel(_profiles())
    hits = model.hits("where should the terraform remote state live?")
    assert hits[0].score >= 1.5 > hits[1].score
    assert ("terraform", "name") in hits[0].words and ("remote", "description") in hits[0].words
    assert describe(hits[0].words) == "terraform — from its name; state, remote — from its description"


def test_body_words_alone_never_count():
    model = RelevanceModel(_profiles())
    # "good" and "day" are in bodies only: chit-chat must not score
    assert [h.score for h in model.hits("good day!")] == [0.0, 0.0, 0.0]


def test_scores_compare_across_library_sizes():
    one_rare = "terraform please"
    small = RelevanceModel(_profiles()).hits(one_rare)[0].score
    padding = [build_profile(f"other-{i}", {"description": f"topic{i} things"}) for i in range(100)]
    big = RelevanceModel(_profiles() + padding).hits(one_rare)[0].score
    assert abs(big - small) / small < 0.35  # idf is normalised by the largest idf possible


def test_the_activator_adds_profiles_to_keywords_and_explains():
    profiles = _profiles()
    names = [p.name for p in profiles]
    keywords = {"terraform-engineer": [], "docs-writer": [], "backend": ["api", "database"]}
    activator = Activator(keywords, relevance=RelevanceModel(profiles))
    assert activator.names == tuple(names)
    result = activator.feed("Write the API reference and a quickstart for our endpoints")
    assert (result.persona, result.active) == ("docs-writer", True)
    assert "matched quickstart, reference, api — from its description" in result.reason
    assert result.scores["docs-writer"] > result.scores["backend"] > 0
    assert result.runner_up == "backend"
    # hysteresis still holds: an on-topic word from the profile keeps it on
    assert activator.feed("and the changelog too").active
    off = [activator.feed("lunch?") for _ in range(3)][-1]
    assert not off.active and "no word on topic in the last 3 messages" in off.reason
