"""The optional sentence-transformers backend, with a tiny model built here (nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pytest

st = pytest.importorskip("sentence_transformers", reason="the sentence-transformers extra is not installed")

from bot.catalogue import Catalogue  # noqa: E402
from bot.search import SearchService, build_index  # noqa: E402
from bot.search.embedder import EmbedderUnavailable, SentenceTransformerEmbedder  # noqa: E402

WORDS = ("đăng ký tạm trú khai sinh visa temporary residence card birth 临时 居住 ビザ 거주 passage query").split()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer BERT with a word-level tokenizer, saved as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-st")
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", ":"] + list(dict.fromkeys(WORDS)))}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]")
    bert = BertModel(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
    hf = path / "hf"
    bert.save_pretrained(hf)
    fast.save_pretrained(hf)
    word = models.Transformer(str(hf), max_seq_length=32)
    pooling = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    model_dir = path / "st"
    SentenceTransformer(modules=[word, pooling], device="cpu").save(str(model_dir))
    return str(model_dir)


def test_embedder_normalised_vectors_with_roles(tiny_model):
    e = SentenceTransformerEmbedder(tiny_model)
    p = e.embed_passages(["đăng ký tạm trú", "visa"])
    q = e.embed_query("tạm trú")
    assert p.shape == (2, 32) and q.shape == (32,)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert e.id.startswith("st-")


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderUnavailable):
        SentenceTransformerEmbedder(str(tmp_path / "nope"))
    with pytest.raises(EmbedderUnavailable):
        SentenceTransformerEmbedder("")


def test_index_and_search_with_st_backend(tiny_model, small_settings):
    s = small_settings.with_(embedder="sentence-transformers", st_model=tiny_model)
    e = SentenceTransformerEmbedder(tiny_model)
    report = build_index(Catalogue.load(s), e, s.index_dir)
    assert report.passages > 0
    hits = SearchService(s, embedder=e).search("đăng ký tạm trú", top_k=3)
    assert hits and hits[0].code == "1.004194"  # BM25 carries a random tiny model
