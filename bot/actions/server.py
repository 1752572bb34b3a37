"""Start the action server on loopback after loading the search index (fail loudly, not later).

Run: `python -m bot.actions.server [--port 5055]` (make run does it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .services import services


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="thutuc action server (127.0.0.1 only)")
    ap.add_argument("--port", type=int, default=int(os.environ.get("THUTUC_ACTIONS_PORT", "5055")))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        services().warm_up()
    except Exception as e:  # noqa: BLE001 - the reason is printed and the server does not start
        print(f"action server not started: {e}", file=sys.stderr)
        return 1
    os.environ["SANIC_HOST"] = "127.0.0.1"  # rasa-sdk binds 0.0.0.0 unless told otherwise
    # Sanic's access log wrote an empty INFO line per action call (rasa-sdk's format has no fields for
    # it): noise in the log and CPU under load. Errors are still logged by rasa-sdk and our actions.
    os.environ.setdefault("SANIC_ACCESS_LOG", "false")
    from rasa_sdk.endpoint import run

    run("bot.actions", port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
