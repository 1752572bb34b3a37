"""`RegexOnlyEntities`: dossier and procedure codes come from the regexes, never from DIET.

Rasa's RegexEntityExtractor only uses a regex whose name is an entity annotated in the training data,
so `dossier_code` and `procedure_code` must be annotated, and then DIET learns them too: a message
with a code got the same entity twice (once per extractor), and a barely trained DIET tagged
ordinary words ("hồ", "tôi") as dossier codes. Placed after RegexEntityExtractor, this component
drops every entity of the configured types that another extractor produced. A code the regex does
not match is not a code the dossier or procedure services would accept anyway.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, EXTRACTOR
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class RegexOnlyEntities(GraphComponent):
    """Keeps only the regex extractor's entities of the configured types."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Entity types trusted only from `extractor`.
            "entities": ["dossier_code", "procedure_code"],
            "extractor": "RegexEntityExtractor",
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._types = frozenset(config["entities"])
        self._extractor = config["extractor"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RegexOnlyEntities:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES)
            if entities:
                kept = self.filter(entities)
                if len(kept) != len(entities):
                    message.set(ENTITIES, kept, add_to_output=True)
        return messages

    def filter(self, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        return [e for e in entities
                if e.get(ENTITY_ATTRIBUTE_TYPE) not in self._types or e.get(EXTRACTOR) == self._extractor]
