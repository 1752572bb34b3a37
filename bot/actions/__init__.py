"""Rasa custom actions: thin adapters from the dialogue to bot.search, bot.fees, bot.dossiers.

rasa-sdk imports every module of this package and registers every concrete Action subclass; shared
base classes are therefore abstract.
"""
