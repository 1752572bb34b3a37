"""`thutuc dossier …` through typer.testing.CliRunner: the CLI contract of issue 4."""

from __future__ import annotations

import json
import logging
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.dossiers import privacy

DATA = Path(__file__).parent / "data"
SALT = "cli-test-salt-0123456789"
CONTRACT_KEYS = ["outcome", "code", "status_code", "status", "received_at", "appointment_at", "completed_at",
                 "overdue", "next_step"]

runner = CliRunner()


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"THUTUC_HOME": str(tmp_path), "THUTUC_HASH_SALT": SALT, "THUTUC_DOSSIER_DB": str(tmp_path / "d.db")}


def run(env: dict, *args: str):
    return runner.invoke(app, ["dossier", *args], env=env)


def flat(text: str) -> str:
    """Rich wraps error messages at the terminal width."""
    return " ".join(text.split())


@pytest.fixture
def imported(env) -> dict[str, str]:
    result = run(env, "import", str(DATA / "dossiers_good.csv"))
    assert result.exit_code == 0, result.output
    return env


def test_help_lists_the_commands(env):
    result = run(env, "--help")
    assert result.exit_code == 0, result.output
    for command in ("import", "demo", "lookup"):
        assert command in result.output
    for command in ("import", "demo", "lookup"):
        sub = run(env, command, "--help")
        assert sub.exit_code == 0, sub.output


def test_import_good_file(env, tmp_path):
    result = run(env, "import", str(DATA / "dossiers_good.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 4 dossiers" in result.output and "4 new" in result.output
    again = run(env, "import", str(DATA / "dossiers_good.csv"), "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report == {"path": str(DATA / "dossiers_good.csv"), "applied": True, "rows": 4, "inserted": 0,
                      "updated": 0, "unchanged": 4, "bad_rows": []}


def test_import_bad_rows_are_listed_and_skipped(env):
    result = run(env, "import", str(DATA / "dossiers_bad.csv"))
    assert result.exit_code == 0, result.output
    assert "Imported 2 dossiers" in result.stdout
    assert "10 bad row(s) skipped" in result.output
    assert "line 3, channel: must be one of online, offline, post" in result.output
    assert "Đặng Thị Giang" not in result.output and "051090007784" not in result.output
    as_json = json.loads(run(env, "import", str(DATA / "dossiers_bad.csv"), "--json").stdout)
    assert {"line": 4, "column": "status_code", "reason": "must be a whole number from 1 to 10"} in as_json["bad_rows"]


def test_import_fatal_error_applies_nothing(imported, tmp_path):
    before = sqlite3.connect(tmp_path / "d.db").execute("SELECT * FROM dossiers ORDER BY code").fetchall()
    result = run(imported, "import", str(DATA / "dossiers_wrong_header.csv"))
    assert result.exit_code == 1, result.output
    assert "columns must be exactly" in flat(result.output)
    strict = run(imported, "import", str(DATA / "dossiers_bad.csv"), "--strict")
    assert strict.exit_code == 1, strict.output
    assert "nothing was applied" in flat(strict.output) and "line 3, channel" in strict.output
    broken = run(imported, "import", str(DATA / "dossiers_broken.json"), "--json")
    assert broken.exit_code == 1, broken.output
    assert json.loads(broken.stdout)["applied"] is False
    after = sqlite3.connect(tmp_path / "d.db").execute("SELECT * FROM dossiers ORDER BY code").fetchall()
    assert after == before


def test_lookup_ok_json_contract(imported):
    result = run(imported, "lookup", "h48.01-240824-0003", "--verify", "9999", "--lang", "en", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert list(answer) == CONTRACT_KEYS
    assert answer["outcome"] == "ok" and answer["code"] == "H48.01-240824-0003" and answer["status_code"] == 6
    assert answer["status"] == "Fees or taxes to pay"
    assert answer["received_at"] == "2024-08-24" and answer["appointment_at"] == "2024-09-10"
    assert answer["completed_at"] is None and isinstance(answer["overdue"], bool)
    assert "₫1,250,000" in answer["next_step"] and "dichvucong.gov.vn" in answer["next_step"]


def test_lookup_human_output(imported):
    result = run(imported, "lookup", "H48.01-240823-0002", "--verify", "5678", "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert "申請案件 H48.01-240823-0002" in result.stdout and "書類の追加提出が必要" in result.stdout
    vi = run(imported, "lookup", "H48.01-240823-0002", "--verify", "5678")  # default language: vi
    assert vi.exit_code == 0, vi.output
    assert "Yêu cầu bổ sung giấy tờ" in vi.stdout


def test_lookup_not_verified_exit_3_same_for_unknown_code(imported):
    wrong = run(imported, "lookup", "H48.01-240823-0001", "--verify", "0000", "--json", "--user", "a")
    unknown = run(imported, "lookup", "H48.01-240823-0999", "--verify", "1234", "--json", "--user", "b")
    assert wrong.exit_code == 3, wrong.output
    assert unknown.exit_code == 3, unknown.output
    w, u = json.loads(wrong.stdout), json.loads(unknown.stdout)
    assert list(w) == CONTRACT_KEYS and w["outcome"] == "not_verified"
    assert u == {**w, "code": u["code"], "next_step": w["next_step"].replace(w["code"], u["code"])}
    assert all(w[k] is None for k in ("status_code", "status", "received_at", "appointment_at", "completed_at",
                                      "overdue"))


def test_lookup_rate_limited_exit_4(imported):
    for i in range(5):
        result = run(imported, "lookup", "H48.01-240823-0001", "--verify", f"000{i}")
        assert result.exit_code == 3, result.output
    locked = run(imported, "lookup", "H48.01-240823-0001", "--verify", "1234", "--json", "--lang", "en")
    assert locked.exit_code == 4, locked.output
    answer = json.loads(locked.stdout)
    assert answer["outcome"] == "rate_limited" and "talk to staff" in answer["next_step"]
    other_user_other_code = run(imported, "lookup", "H48.01-240823-0002", "--verify", "5678", "--user", "x")
    assert other_user_other_code.exit_code == 0, other_user_other_code.output


def test_user_defaults_to_cli(imported, tmp_path):
    result = run(imported, "lookup", "H48.01-240823-0001", "--verify", "1234")
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(tmp_path / "d.db")
    (user_key,) = con.execute("SELECT user_key FROM lookup_audit").fetchone()
    con.close()
    assert user_key == privacy.Hasher(SALT.encode()).key("user", "cli")


@pytest.mark.parametrize("args,needle", [
    (["lookup", "not-a-code", "--verify", "1234"], "CODE"),
    (["lookup", "H48.01-240823-0001", "--verify", "12"], "--verify"),
    (["lookup", "H48.01-240823-0001", "--verify", "1234", "--lang", "fr"], "--lang"),
    (["lookup", "H48.01-240823-0001"], "--verify"),
    (["lookup"], "CODE"),
])
def test_lookup_usage_errors_exit_2(imported, args, needle):
    result = run(imported, *args)
    assert result.exit_code == 2, result.output
    assert needle.lower() in result.output.lower()


def test_bad_setting_exits_1(env):
    result = run({**env, "THUTUC_VERIFY_WITH": "name"}, "lookup", "H48.01-240823-0001", "--verify", "1234")
    assert result.exit_code == 1, result.output
    assert "THUTUC_VERIFY_WITH" in flat(result.output)


def test_demo_then_lookup(env):
    result = run(env, "demo")
    assert result.exit_code == 0, result.output
    assert "DEMO-250101-0001  --verify 1111" in result.stdout
    listed = json.loads(run(env, "demo", "--json").stdout)
    assert [d["code"] for d in listed][:2] == ["DEMO-250101-0001", "DEMO-250101-0002"]
    for d in listed:
        answer = run(env, "lookup", d["code"], "--verify", d["verify"], "--json", "--lang", "en")
        assert answer.exit_code == 0, answer.output
        assert json.loads(answer.stdout)["status"].startswith("[DEMO] ")
    text = run(env, "lookup", "DEMO-250101-0004", "--verify", "4444", "--lang", "zh")
    assert text.stdout.startswith("[DEMO] ")
    removed = run(env, "demo", "--remove")
    assert removed.exit_code == 0 and "Removed 6 demo dossiers" in removed.stdout
    gone = run(env, "lookup", "DEMO-250101-0001", "--verify", "1111")
    assert gone.exit_code == 3, gone.output


def test_without_salt_a_local_development_salt_is_used(tmp_path, caplog):
    env = {"THUTUC_HOME": str(tmp_path), "THUTUC_HASH_SALT": ""}
    with caplog.at_level(logging.WARNING, logger="bot.dossiers"):
        result = run(env, "demo")
    assert result.exit_code == 0, result.output
    salt_file = tmp_path / "var" / privacy.DEV_SALT_FILE
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert (tmp_path / "var" / "dossiers.db").exists()
    assert "THUTUC_HASH_SALT is not set" in caplog.text
    answer = run(env, "lookup", "DEMO-250101-0003", "--verify", "3333")
    assert answer.exit_code == 0, answer.output
