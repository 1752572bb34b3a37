"""Regression floors for retrieval on the dev set, over the full national import + curated core.

Builds the full index once (a few minutes on a cold cache) in a temporary folder. The floors sit a
little under the figures measured when they were set, so a change that loses accuracy fails here.
The independent held-out set (bench/) is measured by `make bench`, never asserted or tuned on.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import CRAWL, CURATED_DIR, requires_shared

from bot.catalogue import Catalogue, import_crawl
from bot.catalogue.curated import load_dir
from bot.config import PROJECT_ROOT, Settings
from bot.search import SearchService, build_index, make_embedder
from bot.search.evaluate import EvalResult, evaluate, read_eval_file, read_message_file
from bot.search.glossary import load_glossary

DEV = PROJECT_ROOT / "tests" / "data" / "retrieval_dev.jsonl"
# Measured 2026-11-26 (R@1 / R@5): vi 0.88/0.97, en 0.75/1.00, zh 0.86/1.00, ko 0.78/1.00, ja 0.84/0.96;
# with the glossary vectors precomputed in the index: vi 0.88/0.97, en 0.77/1.00, zh 0.86/1.00,
# ko 0.80/0.98, ja 0.84/0.96
# (before the colloquial glossary, the Vietnamese-passage dense run, BM25 b=0.5 and the twin priors:
# vi 0.78/0.98, en 0.73/0.98, zh 0.76/0.92, ko 0.70/0.94, ja 0.75/0.92).
# With the learned ranking (bench/fit_ranking.py), on these first 272 questions: vi 0.86/1.00,
# en 0.84/1.00, zh 0.98/1.00, ko 0.84/1.00, ja 0.84/0.98 (fitted on them among others: 5-fold
# cross-validated, by procedure, over the whole file vi 0.85/0.98 en 0.75/0.94 zh 0.84/0.97 ko 0.71/0.94
# ja 0.74/0.95, against 0.85/0.97 0.68/0.91 0.75/0.95 0.67/0.93 0.70/0.90 for the hand-set weights).
# With the names of imported procedures in five languages (data/names) as dense passages (summaries
# and "name. field. result" passages left to BM25) and the ranking refitted, on these 272:
# vi 0.81/1.00, en 0.91/1.00, zh 0.96/1.00, ko 0.90/1.00, ja 0.90/0.98; with the aliases of the
# province and commune ones (data/names/aliases-*.yml, in BM25): vi 0.86/1.00, en 0.91/1.00,
# zh 0.98/1.00, ko 0.92/1.00, ja 0.92/0.98; with the English aliases of imported procedures as dense
# passages too: vi 0.86/1.00, en 0.875/1.00, zh 0.98/1.00, ko 0.90/1.00, ja 0.90/0.96 (English one
# question below the floor first set here: 0.88 -> 0.87; the fresh English and ministry-only sets gained).
ORIGINAL = 272  # the questions the floors below were first set on; the ones after came with the learned ranking
FLOORS_R1 = {"vi": 0.83, "en": 0.87, "zh": 0.95, "ko": 0.89, "ja": 0.89}
FLOORS_R5 = {"vi": 0.97, "en": 0.97, "zh": 0.97, "ko": 0.97, "ja": 0.96}
# The whole file: the 200 questions added with the learned ranking are harder (half ask in a foreign
# language about imported procedures). Measured before data/names: vi 0.85/0.99, en 0.77/0.95,
# zh 0.86/0.97, ko 0.72/0.96, ja 0.73/0.95; with its names: vi 0.80/0.99, en 0.89/0.99, zh 0.91/1.00,
# ko 0.86/1.00, ja 0.88/0.98; and its aliases: vi 0.89/1.00, en 0.91/0.99, zh 0.92/1.00, ko 0.92/1.00,
# ja 0.89/0.99 (fitted on this file; 5-fold cross-validated 0.885/0.885/0.912/0.889/0.879); with the
# English aliases of imported procedures dense: vi 0.89/1.00, en 0.90/0.99, zh 0.92/1.00, ko 0.91/1.00,
# ja 0.88/0.98 (cross-validated 0.894/0.896/0.912/0.878/0.890); with word_cover and alias_support
# (2026-11-27): vi 0.95/1.00, en 0.94/1.00, zh 0.96/1.00, ko 0.92/1.00, ja 0.91/0.99 (cross-validated
# 0.952/0.938/0.934/0.911/0.912; dev questions say whole aliases more often than fresh ones do).
FULL_FLOORS_R1 = {"vi": 0.90, "en": 0.90, "zh": 0.91, "ko": 0.89, "ja": 0.88}
FULL_FLOORS_R5 = {"vi": 0.97, "en": 0.97, "zh": 0.97, "ko": 0.97, "ja": 0.96}

# Procedures only a ministry handles (20 drawn at random, 5 questions each; not used to fit the
# ranking, whose dev set has no such question). Measured 2026-11-26 before their aliases existed:
# vi 0.60/0.90, en 0.35/0.65, zh 0.55/0.85, ko 0.45/0.85, ja 0.50/0.85; with data/names/aliases-9..16
# and the ranking refitted on the dev set: vi 0.75/1.00, en 0.50/0.85, zh 0.65/0.90, ko 0.55/0.95,
# ja 0.65/0.95; with their English aliases dense: vi 0.75/0.95, en 0.65/0.85, zh 0.65/0.90,
# ko 0.65/0.95, ja 0.65/0.95. With 20 questions a language, one question is 0.05.
NATIONAL = PROJECT_ROOT / "tests" / "data" / "retrieval_dev_national.jsonl"
# With alias_support (2026-11-27): vi 0.75, en 0.70, zh 0.70, ko 0.80, ja 0.65 (R@1).
NATIONAL_FLOORS_R1 = {"vi": 0.70, "en": 0.55, "zh": 0.60, "ko": 0.65, "ja": 0.60}
NATIONAL_FLOORS_R5 = {"vi": 0.95, "en": 0.80, "zh": 0.85, "ko": 0.90, "ja": 0.90}

# Fresh English questions, never used to fit the ranking, about procedures no other dev question asks
# about, written from their official Vietnamese names without seeing our English names or aliases
# (English is the language furthest below its target on the held-out set), with their floors:
# - retrieval_dev_english.jsonl (2026-11-26): 25 curated, 35 imported ones served locally, in the voice
#   of investors, foreign residents and locals. Measured R@1 0.767, R@5 0.950; with the English aliases
#   of imported procedures dense 0.783/0.967.
# - retrieval_dev_english_2.jsonl (2026-11-27): 1 curated (the only one left), 59 imported ones served
#   locally, picked at random. Measured once, before anything was changed for it: 0.717/0.983.
# With word_cover, the English implied actions and alias_support (2026-11-27): 0.817/1.000 and 0.800/0.983.
# - retrieval_dev_english_3.jsonl (2026-11-27): 60 imported procedures served locally that no other set
#   (held-out included) asks about, picked at random, one question each written from the official
#   Vietnamese name and field alone. Measured once before alias_support (0.883/0.983) and once after
#   (0.900/0.983); nothing was changed for it.
ENGLISH_SETS = {"retrieval_dev_english.jsonl": (0.75, 0.95), "retrieval_dev_english_2.jsonl": (0.72, 0.95),
                "retrieval_dev_english_3.jsonl": (0.85, 0.95)}


@pytest.fixture(scope="module")
def full_service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("full")
    s = Settings(home=PROJECT_ROOT, procedures_dir=CURATED_DIR, models_dir=tmp / "models",
                 var_dir=tmp / "var")
    import_crawl(CRAWL, s.catalogue_db, load_dir(CURATED_DIR))
    embedder = make_embedder(s)
    # Start from the project's embedding cache when `make prepare` built one: vectors are keyed by text
    # and embedder, so the result is the same; only the minutes of re-embedding 10k passages are saved.
    cache = PROJECT_ROOT / "models" / "search" / "embeddings.sqlite"
    if cache.exists():
        s.index_dir.mkdir(parents=True)
        shutil.copy(cache, s.index_dir / "embeddings.sqlite")
    build_index(Catalogue.load(s), embedder, s.index_dir, glossary=load_glossary(s))
    return SearchService(s, embedder=embedder)


@requires_shared
def test_dev_set_metrics_stay_above_floors(full_service):
    cases = read_eval_file(DEV)
    result = evaluate(full_service, cases)
    for lang, m in result.metrics()["per_lang"].items():
        assert m["r1"] >= FULL_FLOORS_R1[lang], (lang, m)
        assert m["r5"] >= FULL_FLOORS_R5[lang], (lang, m)
    original = EvalResult(ranks=result.ranks[:ORIGINAL])
    for lang, m in original.metrics()["per_lang"].items():
        assert m["r1"] >= FLOORS_R1[lang], (lang, m)
        assert m["r5"] >= FLOORS_R5[lang], (lang, m)


@requires_shared
def test_ministry_only_procedures_stay_above_floors(full_service):
    result = evaluate(full_service, read_eval_file(NATIONAL))
    for lang, m in result.metrics()["per_lang"].items():
        assert m["r1"] >= NATIONAL_FLOORS_R1[lang], (lang, m)
        assert m["r5"] >= NATIONAL_FLOORS_R5[lang], (lang, m)


@requires_shared
@pytest.mark.parametrize("name", sorted(ENGLISH_SETS))
def test_fresh_english_questions_stay_above_floors(full_service, name):
    m = evaluate(full_service, read_eval_file(PROJECT_ROOT / "tests" / "data" / name)).metrics()["overall"]
    floor_r1, floor_r5 = ENGLISH_SETS[name]
    assert m["r1"] >= floor_r1 and m["r5"] >= floor_r5, m


@requires_shared
def test_off_topic_messages_get_low_confidence(full_service):
    from bot.search import MID

    messages = read_message_file(PROJECT_ROOT / "tests" / "data" / "search_offtopic.txt")
    confident = [m for m in messages if full_service.search(m, top_k=1)[0].confidence >= MID]
    # Measured: 5 of 37 ("xin chào", "bạn tên là gì", "ăn cơm chưa", "ありがとうございます", "テストです"
    # meet words of procedure names; 3 before the word_cover feature). In the assistant the NLU answers
    # greetings and small talk before any search; this guards the calibration.
    assert len(confident) <= len(messages) // 6, confident


@requires_shared
def test_required_cross_lingual_case(full_service):
    assert full_service.search("ビザ免除証を申請したい", lang="ja")[0].code == "1.003144"


@requires_shared
@pytest.mark.parametrize("query, lang", [("I want to renew my temporary residence card", "en"),
                                         ("在留カードの更新をしたい", "ja"),
                                         ("gia hạn thẻ tạm trú cho vợ người nước ngoài", "vi")])
def test_renewing_a_residence_card_is_a_new_card_not_the_citizens_stay_extension(full_service, query, lang):
    # The catalogue has no procedure that extends a temporary residence card: its holder asks for a
    # card again ("Cấp thẻ tạm trú"). Before the aliases of those two procedures said so, the English
    # question got the citizens' "Gia hạn tạm trú" (1.002755) first.
    assert full_service.search(query, lang=lang)[0].code in ("1.003460", "1.003358")
