"""`python -m bot.nlu.launcher run …`: Rasa's own command line, with one measured fix applied first.

Rasa 3.6 checks every action-server response with `jsonschema.validate`, which first re-validates the
(constant) response schema against its metaschema on every call. Under load that was 43% of the Rasa
process's CPU here (py-spy, 20 concurrent senders). `validate` below keeps one validator per schema,
so the schema is checked once; responses are validated exactly as before (same errors raised).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
from jsonschema import exceptions
from jsonschema.validators import validator_for

_validators: dict[tuple[str, Any], Any] = {}
_original_validate = jsonschema.validate


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    if args or kwargs:  # an unusual call: keep the library's behaviour
        return _original_validate(instance, schema, cls, *args, **kwargs)
    key = (json.dumps(schema, sort_keys=True, default=str), cls)
    validator = _validators.get(key)
    if validator is None:
        validator_cls = cls or validator_for(schema)
        validator_cls.check_schema(schema)
        validator = validator_cls(schema)
        _validators[key] = validator
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def install() -> None:
    # Rasa imports `validate` from jsonschema inside the function at each call, so this reaches it.
    jsonschema.validate = validate


def main(argv: list[str] | None = None) -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
