"""Front ends: the Rasa REST client shared by the terminal chat (and, with issue 6, Telegram and the web)."""

from .rasa_client import RasaClient, RasaUnavailable, neutralise, sender_id

__all__ = ["RasaClient", "RasaUnavailable", "neutralise", "sender_id"]
