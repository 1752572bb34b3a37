"""The local web chat of the front-end process: page, JSON API, link counting and `/health`."""

from .app import CHANNEL, create_app
from .health import HealthReport, Part, check_health
from .outbox import Outbox, WebDeliver

__all__ = ["CHANNEL", "HealthReport", "Outbox", "Part", "WebDeliver", "check_health", "create_app"]
