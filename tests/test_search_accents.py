"""bot.search.accents: the restorer search uses for Vietnamese typed without accents."""

from __future__ import annotations

import json
import shutil

from conftest import CURATED_DIR

from bot.catalogue import Catalogue
from bot.config import Settings
from bot.search.accents import FILE, load_search_restorer


def make(tmp_path, codes=("1.001193", "1.004194", "2.000806")):
    (tmp_path / "data" / "procedures").mkdir(parents=True)
    for code in codes:
        shutil.copy(CURATED_DIR / f"{code}.yml", tmp_path / "data" / "procedures")
    settings = Settings(home=tmp_path)
    return settings, Catalogue.load(settings)


def test_restores_catalogue_words_and_leaves_english_and_accented_text_alone(tmp_path):
    settings, catalogue = make(tmp_path)
    restorer = load_search_restorer(settings, catalogue)
    assert restorer.restore("dang ky ket hon") == "đăng ký kết hôn"
    assert restorer.restore("đăng ký tạm trú") == "đăng ký tạm trú"
    assert restorer.restore("register a marriage") == "register a marriage"


def test_kept_in_the_index_folder_and_rebuilt_when_the_catalogue_changes(tmp_path):
    settings, catalogue = make(tmp_path)
    load_search_restorer(settings, catalogue)
    stored = json.loads((settings.index_dir / FILE).read_text(encoding="utf-8"))
    again = load_search_restorer(settings, catalogue)  # read back, same model
    assert again.to_json() == stored["model"]
    shutil.copy(CURATED_DIR / "1.003460.yml", settings.procedures_dir)
    load_search_restorer(settings, Catalogue.load(settings))
    assert json.loads((settings.index_dir / FILE).read_text(encoding="utf-8"))["fingerprint"] != stored["fingerprint"]


def test_a_damaged_file_is_rebuilt(tmp_path):
    settings, catalogue = make(tmp_path)
    settings.index_dir.mkdir(parents=True)
    (settings.index_dir / FILE).write_text("{not json", encoding="utf-8")
    assert load_search_restorer(settings, catalogue).restore("dang ky ket hon") == "đăng ký kết hôn"
    assert json.loads((settings.index_dir / FILE).read_text(encoding="utf-8"))["fingerprint"]
