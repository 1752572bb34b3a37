"""Names of imported procedures in en/zh/ko/ja (data/names): loading, staleness, validation, use."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import CRAWL, CURATED_DIR, requires_shared
from typer.testing import CliRunner

from bot.catalogue import Catalogue, CatalogueFileError, import_crawl
from bot.catalogue.names import load_names, validate_names
from bot.cli import app
from bot.config import PROJECT_ROOT, Settings

NAMES_DIR = PROJECT_ROOT / "data" / "names"
BORDER_PASS = {"code": "1.001200", "vi": "Cấp giấy thông hành biên giới (mẫu thử)",
               "en": "Issue of a border pass (sample)", "zh": "签发边境通行证（样本）",
               "ko": "국경 통행증 발급 (견본)", "ja": "国境通行証の発給（見本）"}


def write_names(folder, entries, name="part-1.yml"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_translated_names_reach_imported_procedures(imported_home):
    curated_rename = {**BORDER_PASS, "code": "1.004194", "vi": "Đăng ký tạm trú", "en": "Not our curated name"}
    write_names(imported_home / "data" / "names", [BORDER_PASS, curated_rename])
    cat = Catalogue.load(Settings(home=imported_home))
    p = cat.get("1.001200")
    assert p.name == {k: BORDER_PASS[k] for k in ("vi", "en", "zh", "ko", "ja")}
    assert p.name_in("ko") == "국경 통행증 발급 (견본)" and not p.curated
    # A curated procedure keeps its own (reviewed, fuller) names.
    assert cat.get("1.004194").name["en"] != "Not our curated name"
    assert cat.stale_names == []


def test_a_renamed_procedure_keeps_its_official_name_until_the_translation_is_updated(imported_home):
    write_names(imported_home / "data" / "names", [{**BORDER_PASS, "vi": "Cấp giấy thông hành biên giới"}])
    s = Settings(home=imported_home)
    cat = Catalogue.load(s)
    assert cat.get("1.001200").name == {"vi": "Cấp giấy thông hành biên giới (mẫu thử)"}
    [(translation, now)] = cat.stale_names
    assert translation.code == "1.001200" and now == "Cấp giấy thông hành biên giới (mẫu thử)"
    result = CliRunner().invoke(app, ["catalogue", "issues", "--json", "--kind", "stale_translation"],
                                env={"THUTUC_HOME": str(imported_home)})
    assert result.exit_code == 0, result.output
    assert '"stale_translation"' in result.output and "1.001200" in result.output


def test_names_differing_only_in_spacing_or_unicode_form_still_apply(imported_home):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", BORDER_PASS["vi"]).replace(" ", "  ")
    write_names(imported_home / "data" / "names", [{**BORDER_PASS, "vi": decomposed}])
    assert Catalogue.load(Settings(home=imported_home)).get("1.001200").name["en"] == BORDER_PASS["en"]


def test_validate_names_reports_each_kind_of_problem(tmp_path):
    folder = tmp_path / "names"
    path = write_names(folder, [
        BORDER_PASS,
        {**BORDER_PASS, "code": "1.004194"},  # curated
        {**BORDER_PASS},  # twice
        {k: v for k, v in BORDER_PASS.items() if k != "ja"} | {"code": "1.000001"},
        {**BORDER_PASS, "code": "1.000002", "note": "x"},
    ])
    text = path.read_text(encoding="utf-8") + '- code: 1.000003\n  vi: "a"\n  en: "b"\n  zh: "c"\n  ko: "d"\n  ja: "e"\n'
    path.write_text(text, encoding="utf-8")
    messages = [p.message for p in validate_names(folder, curated_codes={"1.004194"})]
    assert any("1.004194 is curated" in m for m in messages)
    assert any("names of 1.001200 also in" in m for m in messages)
    assert any("ja is missing" in m for m in messages)
    assert any("unknown key(s) note" in m for m in messages)
    assert any("code must be a quoted string, got 1.000003" in m for m in messages)
    # Malformed entries are skipped when loading; well-formed ones still load.
    assert {t.code for t in load_names(folder)} == {"1.001200", "1.004194"}


def test_a_broken_names_file_is_an_error_not_silently_empty(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "part-1.yml").write_text('- code: "1.001200"\n  vi: "unclosed\n', encoding="utf-8")
    with pytest.raises(CatalogueFileError, match="part-1.yml.*not valid YAML"):
        load_names(folder)
    (folder / "part-1.yml").write_text("code: 1\n", encoding="utf-8")
    with pytest.raises(CatalogueFileError, match="expected a list"):
        load_names(folder)


def test_shipped_name_files_are_valid():
    curated = {p.stem for p in CURATED_DIR.glob("*.yml")}
    problems = validate_names(NAMES_DIR, curated)
    assert problems == [], "\n".join(map(str, problems[:20]))
    names = [t for t in load_names(NAMES_DIR) if t.names]
    han, kana, hangul = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[\u3040-\u30ff]"), re.compile(r"[\uac00-\ud7a3]")
    wrong_script = [t.code for t in names
                    if not han.search(t.names["zh"]) or kana.search(t.names["zh"])
                    or not hangul.search(t.names["ko"])
                    or not (han.search(t.names["ja"]) or kana.search(t.names["ja"]))
                    or re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", t.names["en"].lower())]
    assert wrong_script == []


@requires_shared
def test_every_imported_procedure_has_current_translated_names(tmp_path):
    """Against the real crawl: every imported, non-curated procedure is named in all five languages
    and no translation is of an outdated official name."""
    s = Settings(home=tmp_path, procedures_dir=CURATED_DIR, names_dir=NAMES_DIR)
    import_crawl(CRAWL, s.catalogue_db)
    cat = Catalogue.load(s)
    assert [t.code for t, _ in cat.stale_names] == []
    missing = [p.code for p in cat if not p.curated and set(p.name) != {"vi", "en", "zh", "ko", "ja"}]
    assert missing == [], f"{len(missing)} imported procedures lack translated names, e.g. {missing[:10]}"


def test_aliases_reach_imported_procedures_from_their_own_entries(imported_home):
    aliases = {"vi": ["giấy qua biên giới"], "en": ["border crossing paper", "border pass"], "ko": ["국경 통행증"]}
    write_names(imported_home / "data" / "names", [BORDER_PASS])
    write_names(imported_home / "data" / "names",
                [{"code": "1.001200", "vi": BORDER_PASS["vi"], "aliases": aliases},
                 {"code": "1.004194", "vi": "Đăng ký tạm trú", "aliases": {"en": ["not for curated files"]}}],
                name="aliases-1.yml")
    cat = Catalogue.load(Settings(home=imported_home))
    p = cat.get("1.001200")
    assert p.name["en"] == BORDER_PASS["en"]  # names and aliases from two files meet
    assert p.aliases == {"vi": ("giấy qua biên giới",), "en": ("border crossing paper", "border pass"),
                         "ko": ("국경 통행증",)}
    assert "not for curated files" not in cat.get("1.004194").aliases.get("en", ())
    assert validate_names(imported_home / "data" / "names", curated_codes=()) == []


def test_validate_names_checks_aliases(tmp_path):
    folder = tmp_path / "names"
    write_names(folder, [
        {"code": "1.001200", "vi": "x", "aliases": {"fr": ["passe"]}},
        {"code": "1.001201", "vi": "x", "aliases": {"en": "not a list"}},
        {"code": "1.001202", "vi": "x", "aliases": {"en": ["a"]}, "en": "only one name"},
        {"code": "1.001203", "vi": "x", "aliases": {"en": ["a"]}},
        {"code": "1.001203", "vi": "x", "aliases": {"en": ["b"]}},
    ])
    messages = [p.message for p in validate_names(folder)]
    assert any("aliases.fr: not one of" in m for m in messages)
    assert any("aliases.en must be a non-empty list" in m for m in messages)
    assert any("zh is missing" in m for m in messages)  # names are all four or none
    assert any("aliases of 1.001203 also in" in m for m in messages)
