"""The YAML cache behind the catalogue, glossary and accent restorer reads."""

from __future__ import annotations

import datetime

import pytest
import yaml

from bot import yamlfiles


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setattr(yamlfiles, "_cache_dir", folder)
    return folder


def test_second_read_of_the_same_bytes_skips_the_parser(tmp_path, cache, monkeypatch):
    path = tmp_path / "1.004194.yml"
    path.write_text('code: "1.004194"\nname: {vi: "Đăng ký tạm trú"}\nupdated: 2026-11-25\n', encoding="utf-8")
    first = yamlfiles.read_yaml(path)
    assert first == {"code": "1.004194", "name": {"vi": "Đăng ký tạm trú"}, "updated": datetime.date(2026, 11, 25)}
    assert len(list(cache.glob("*.pickle"))) == 1

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml, "load", no_parsing)
    assert yamlfiles.read_yaml(path) == first


def test_an_edited_file_is_parsed_again(tmp_path, cache):
    path = tmp_path / "names.yml"
    path.write_text('- code: "1.000001"\n  en: "Old"\n', encoding="utf-8")
    assert yamlfiles.read_yaml(path)[0]["en"] == "Old"
    path.write_text('- code: "1.000001"\n  en: "New"\n', encoding="utf-8")
    assert yamlfiles.read_yaml(path)[0]["en"] == "New"


def test_invalid_yaml_raises_and_is_not_cached(tmp_path, cache):
    path = tmp_path / "broken.yml"
    path.write_text('code: "unclosed\n', encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        yamlfiles.read_yaml(path)
    assert not cache.exists() or not list(cache.glob("*.pickle"))


def test_a_damaged_entry_or_an_unwritable_cache_only_costs_a_parse(tmp_path, cache, monkeypatch):
    path = tmp_path / "a.yml"
    path.write_text("a: 1\n", encoding="utf-8")
    yamlfiles.read_yaml(path)
    for entry in cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert yamlfiles.read_yaml(path) == {"a": 1}

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(yamlfiles, "_cache_dir", blocker / "cache")
    assert yamlfiles.read_yaml(path) == {"a": 1}
