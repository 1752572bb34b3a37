"""Front ends: the Rasa REST clients, channel-agnostic replies and the conversation router (issue 6).

The router and the front-end store are imported from their modules (`bot.channels.router`,
`bot.channels.store`) so that importing this package stays cheap for the terminal chat.
"""

from .rasa_client import AsyncRasaClient, RasaClient, RasaUnavailable, neutralise, sender_id
from .replies import Button, Link, Reply, parse_rasa

__all__ = ["AsyncRasaClient", "Button", "Link", "RasaClient", "RasaUnavailable", "Reply", "neutralise",
           "parse_rasa", "sender_id"]
