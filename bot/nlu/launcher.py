"""`python -m bot.nlu.launcher run …`: Rasa's own command line, with three measured fixes applied first.

1. Rasa 3.6 checks every action-server response with `jsonschema.validate`, which first re-validates
   the (constant) response schema against its metaschema on every call. Under load that was 43% of the
   Rasa process's CPU here (py-spy, 20 concurrent senders). `validate` below keeps one validator per
   schema, so the schema is checked once; responses are validated exactly as before (same errors).
2. Rasa runs the NLU graph inside its event loop, so while one message is embedded (the e5 engine,
   native code that releases the GIL: a third of the process's CPU) no other conversation moves.
   `parse_message` below runs the same graph in one dedicated thread, one message at a time as before
   (the NLU components never run concurrently), while the loop goes on with other conversations'
   policies, tracker store and action calls: the second core gets used. The result and everything
   Rasa does with it afterwards are unchanged (Rasa's own `parse_message` runs, handed the result).
3. Rasa opens a new HTTP client session, hence a new TCP connection, for every action call. The
   endpoint's session is now kept per event loop and reused (same headers, auth and timeout); its idle
   connections are dropped after 3 s, before the action server (Sanic keep-alive 5 s) drops them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
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


_nlu_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")
# The parse result computed in the NLU thread, for the message being handled in this task's context.
_parsed: ContextVar[tuple[Any, bool, dict] | None] = ContextVar("thutuc_parsed", default=None)


def install_threaded_nlu(processor_cls: Any, tracker_cls: Any) -> None:
    """Make `processor_cls.parse_message` run the NLU graph in `_nlu_thread` (see the module doc)."""
    if getattr(processor_cls.parse_message, "thutuc_threaded", False):
        return
    original_parse = processor_cls.parse_message
    original_graph = processor_cls._parse_message_with_graph

    def parse_with_graph(self: Any, message: Any, tracker: Any, only_output_properties: bool = True) -> dict:
        ready = _parsed.get()
        if ready is not None and ready[0] is message and ready[1] == only_output_properties:
            return ready[2]
        return original_graph(self, message, tracker, only_output_properties)

    async def parse_message(self: Any, message: Any, tracker: Any = None,
                            only_output_properties: bool = True) -> dict:
        if self.http_interpreter:
            return await original_parse(self, message, tracker, only_output_properties)
        graph_tracker = tracker if tracker is not None else tracker_cls.from_events(message.sender_id, [])
        parsed = await asyncio.get_running_loop().run_in_executor(
            _nlu_thread, original_graph, self, message, graph_tracker, only_output_properties)
        token = _parsed.set((message, only_output_properties, parsed))
        try:
            return await original_parse(self, message, tracker, only_output_properties)
        finally:
            _parsed.reset(token)

    parse_message.thutuc_threaded = True  # type: ignore[attr-defined]
    processor_cls._parse_message_with_graph = parse_with_graph
    processor_cls.parse_message = parse_message


class _KeptSession:
    """`async with` over a shared client session that must stay open afterwards."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: Any) -> bool:
        return False


_sessions: dict[tuple[int, str], Any] = {}
KEEPALIVE_SECONDS = 3.0


def close_shared_sessions() -> None:
    """Close the kept sessions' connections now (at exit: no "Unclosed client session" in the log)."""
    for shared in _sessions.values():
        try:
            if not shared.closed and shared.connector is not None:
                shared.connector.close()  # closes the sockets at once; the session then counts as closed
        except RuntimeError:  # its event loop is already gone: nothing left to close
            pass
    _sessions.clear()


def install_shared_sessions(endpoint_cls: Any) -> None:
    """Make `endpoint_cls.session()` hand out one kept-open session per event loop and configuration."""
    if getattr(endpoint_cls.session, "thutuc_shared", False):
        return
    import atexit

    import aiohttp

    atexit.register(close_shared_sessions)

    original = endpoint_cls.session

    def session(self: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside a loop: the library's own, closed after use
            return original(self)
        key = (id(loop), json.dumps([self.headers, self.basic_auth], sort_keys=True, default=str))
        shared = _sessions.get(key)
        if shared is None or shared.closed or shared.loop is not loop:
            made = original(self)  # headers, auth and timeout exactly as Rasa sets them
            shared = aiohttp.ClientSession(
                headers=made.headers, auth=made.auth, timeout=made.timeout,
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS))
            asyncio.ensure_future(made.close())  # never used: nothing to leak
            _sessions[key] = shared
        return _KeptSession(shared)

    session.thutuc_shared = True  # type: ignore[attr-defined]
    endpoint_cls.session = session


def install() -> None:
    # Rasa imports `validate` from jsonschema inside the function at each call, so this reaches it.
    jsonschema.validate = validate
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    install_threaded_nlu(MessageProcessor, DialogueStateTracker)
    install_shared_sessions(EndpointConfig)


def main(argv: list[str] | None = None) -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
