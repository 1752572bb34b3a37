"""The Rasa launcher's cached response validation behaves exactly like jsonschema.validate."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.nlu import launcher


def test_cached_validate_accepts_and_rejects_like_jsonschema(monkeypatch):
    schema = RemoteAction.action_response_format_spec()
    good = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
    bad = {"events": "not a list", "responses": []}
    checks = []
    original = jsonschema.Draft202012Validator.check_schema

    def counting_check(cls_schema):
        checks.append(1)
        return original(cls_schema)

    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema", staticmethod(counting_check))
    launcher._validators.clear()
    for _ in range(3):
        launcher.validate(good, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        launcher.validate(bad, schema)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(bad, schema)
    assert ours.value.message == theirs.value.message
    assert len(checks) == 2  # once for our four calls, once inside jsonschema.validate
