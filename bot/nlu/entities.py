"""`RegexEntityPreference`: one entity per code, not two.

Rasa's RegexEntityExtractor only uses a regex whose name is an entity annotated in the training data,
so `dossier_code` and `procedure_code` must be annotated, and then DIET learns them too: a message
with a code gets the same entity twice (once per extractor), sometimes with DIET's span a little off.
Placed after RegexEntityExtractor, this component drops, for the configured entity types, every entity
of another extractor that overlaps one found by the preferred extractor. Entities only DIET found
(a code typed with spaces, say) are kept: the dossier module normalises or rejects them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    EXTRACTOR,
)
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class RegexEntityPreference(GraphComponent):
    """Keeps the regex extractor's entity where it and another extractor found the same one."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Entity types for which the preferred extractor wins.
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
    ) -> RegexEntityPreference:
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
        preferred = [e for e in entities
                     if e.get(EXTRACTOR) == self._extractor and e.get(ENTITY_ATTRIBUTE_TYPE) in self._types]

        def shadowed(e: Dict[Text, Any]) -> bool:
            return (e.get(EXTRACTOR) != self._extractor and e.get(ENTITY_ATTRIBUTE_TYPE) in self._types
                    and any(p[ENTITY_ATTRIBUTE_TYPE] == e.get(ENTITY_ATTRIBUTE_TYPE)
                            and p[ENTITY_ATTRIBUTE_START] < e.get(ENTITY_ATTRIBUTE_END, -1)
                            and e.get(ENTITY_ATTRIBUTE_START, -1) < p[ENTITY_ATTRIBUTE_END]
                            for p in preferred))

        return [e for e in entities if not shadowed(e)]
