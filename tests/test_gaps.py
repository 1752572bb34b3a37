"""Topics the catalogue lacks (data/gaps.yml): matching in five languages, file errors, the CLI check."""

from __future__ import annotations

import pytest

from bot.catalogue.gaps import GapFileError, Gaps
from bot.config import PROJECT_ROOT

GAPS = PROJECT_ROOT / "data" / "gaps.yml"


@pytest.mark.parametrize("text", [
    "外国人怎么申请工作许可证", "how do I renew my work permit?", "Work permits for my Korean engineers",
    "xin giấy phép lao động cho chuyên gia", "xin giay phep lao dong cho nguoi nuoc ngoai",
    "노동허가 신청은 어디서 해요", "就労許可の申請方法",
])
def test_a_question_naming_a_missing_topic_is_recognised(text):
    gap = Gaps.load(GAPS).match(text)
    assert gap is not None and gap.id == "work_permit"
    assert gap.name_in("ja") == "外国人の労働許可" and gap.where_in("en") is None  # set by the centre


@pytest.mark.parametrize("text", [
    "I have a TRC", "đăng ký lao động", "permits for working at heights", "temporary residence card",
    "bảo hiểm lao động", "工作证明",
])
def test_other_questions_name_no_missing_topic(text):
    assert Gaps.load(GAPS).match(text) is None


def test_a_missing_file_means_no_topics_and_a_malformed_one_is_refused(tmp_path):
    assert len(Gaps.load(tmp_path / "absent.yml")) == 0
    bad = tmp_path / "gaps.yml"
    bad.write_text("topics:\n  - id: x\n    name: {vi: a, en: b}\n    terms: {en: [x]}\n", encoding="utf-8")
    with pytest.raises(GapFileError, match="name missing in zh, ko, ja"):
        Gaps.load(bad)
    bad.write_text("topics:\n  - id: x\n    name: {vi: a, en: b, zh: c, ko: d, ja: e}\n    terms: {}\n",
                   encoding="utf-8")
    with pytest.raises(GapFileError, match="needs terms"):
        Gaps.load(bad)


def test_the_operator_note_is_said_in_the_users_language(tmp_path):
    path = tmp_path / "gaps.yml"
    path.write_text("topics:\n  - id: x\n    name: {vi: a, en: b, zh: c, ko: d, ja: e}\n"
                    "    terms: {en: [widget licence]}\n    where: {vi: 'Hỏi tại quầy 3', en: 'Ask at desk 3'}\n",
                    encoding="utf-8")
    gap = Gaps.load(path).match("How do I get a widget licence?")
    assert gap.where_in("en") == "Ask at desk 3" and gap.where_in("ko") == "Hỏi tại quầy 3"


def test_catalogue_validate_checks_the_gaps_file(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    home = tmp_path / "home"
    (home / "data" / "procedures").mkdir(parents=True)
    (home / "data" / "gaps.yml").write_text("topics:\n  - name: {vi: a}\n", encoding="utf-8")
    monkeypatch.setenv("THUTUC_HOME", str(home))
    result = CliRunner().invoke(app, ["catalogue", "validate"])
    assert result.exit_code != 0 and "data/gaps.yml" in result.output and "needs an id" in result.output
