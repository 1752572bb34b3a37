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


# --- NLU graph off the event loop ---------------------------------------------------------------------

class FakeTracker:
    @classmethod
    def from_events(cls, sender_id, events):
        return ("fresh tracker", sender_id)


class FakeMessage:
    def __init__(self, text, sender_id="s1"):
        self.text, self.sender_id = text, sender_id


class FakeProcessor:
    """The shape of Rasa's MessageProcessor that the patch relies on."""

    http_interpreter = None

    def __init__(self, delay=0.0):
        self.delay = delay
        self.graph_calls = []

    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        import threading
        import time

        self.graph_calls.append((message.text, tracker, threading.current_thread().name))
        time.sleep(self.delay)
        return {"text": message.text, "intent": {"name": "greet"}, "entities": [], "props": only_output_properties}

    async def parse_message(self, message, tracker=None, only_output_properties=True):
        if tracker is None:
            tracker = FakeTracker.from_events(message.sender_id, [])
        parse_data = self._parse_message_with_graph(message, tracker, only_output_properties)
        parse_data["post_processed"] = True  # what Rasa does after the graph still happens
        return parse_data


def test_nlu_graph_runs_once_in_its_own_thread_with_the_same_result():
    import asyncio

    class Processor(FakeProcessor):
        pass

    launcher.install_threaded_nlu(Processor, FakeTracker)
    launcher.install_threaded_nlu(Processor, FakeTracker)  # idempotent
    processor = Processor()
    result = asyncio.run(processor.parse_message(FakeMessage("xin chào"), "tracker", False))
    assert result == {"text": "xin chào", "intent": {"name": "greet"}, "entities": [], "props": False,
                      "post_processed": True}
    assert [(text, tracker) for text, tracker, _ in processor.graph_calls] == [("xin chào", "tracker")]
    assert processor.graph_calls[0][2].startswith("nlu")
    # No tracker: Rasa's fresh one for the sender, as before.
    asyncio.run(processor.parse_message(FakeMessage("hi", "s9")))
    assert processor.graph_calls[-1][1] == ("fresh tracker", "s9")
    # Called directly (not through parse_message), the graph runs as before.
    assert processor._parse_message_with_graph(FakeMessage("x"), "t")["text"] == "x"


def test_event_loop_keeps_going_while_a_message_is_parsed():
    import asyncio
    import time

    class Processor(FakeProcessor):
        pass

    launcher.install_threaded_nlu(Processor, FakeTracker)
    processor = Processor(delay=0.3)

    async def scenario():
        ticks = []

        async def ticker():
            start = time.perf_counter()
            while time.perf_counter() - start < 0.25:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.01)

        results = await asyncio.gather(processor.parse_message(FakeMessage("a")),
                                       processor.parse_message(FakeMessage("b")), ticker())
        return ticks, results

    ticks, results = asyncio.run(scenario())
    assert len(ticks) > 10  # the loop was never blocked by the 0.3 s parses
    assert [r["text"] for r in results[:2]] == ["a", "b"]  # each message got its own result


# --- one kept-open HTTP session for action calls -------------------------------------------------------

def test_action_calls_reuse_one_connection():
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    class Endpoint(EndpointConfig):
        pass

    launcher.install_shared_sessions(Endpoint)

    async def scenario():
        peers = []

        async def webhook(request):
            peers.append(request.transport.get_extra_info("peername")[1])
            body = await request.json()
            return web.json_response({"echo": body, "auth": request.headers.get("X-Token")})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            endpoint = Endpoint(f"http://127.0.0.1:{port}/webhook", headers={"X-Token": "t"})
            answers = [await endpoint.request(json={"n": i}) for i in range(3)]
            other = Endpoint(f"http://127.0.0.1:{port}/webhook", headers={"X-Token": "u"})
            answers.append(await other.request(json={"n": 9}))
        finally:
            launcher.close_shared_sessions()
            await runner.cleanup()
        return peers, answers

    peers, answers = asyncio.run(scenario())
    assert answers == [{"echo": {"n": 0}, "auth": "t"}, {"echo": {"n": 1}, "auth": "t"},
                       {"echo": {"n": 2}, "auth": "t"}, {"echo": {"n": 9}, "auth": "u"}]
    assert len(set(peers[:3])) == 1  # one connection for the three calls
    assert peers[3] != peers[0]  # other headers: another session
    assert not launcher._sessions  # closed and forgotten
