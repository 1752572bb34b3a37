"""Intent and entity figures of the NLU model on the held-out messages in bench/nlu_holdout/.

The held-out files are written apart from data/nlu and never trained on (`--check` lists any
held-out message that is a copy or a near-copy of a training example). Per language: intent
macro-F1 and accuracy (a FallbackClassifier fallback counts as an error), the worst confusions,
and entity precision/recall/F1 over (entity, value) pairs.

    .venv/bin/python bench/nlu_eval.py                    # trains an NLU-only model from data/nlu
    .venv/bin/python bench/nlu_eval.py --model m.tar.gz   # evaluates an existing model
    .venv/bin/python bench/nlu_eval.py --check            # only the near-copy check
    .venv/bin/python bench/nlu_eval.py --cv 5             # K-fold cross-validation on data/nlu instead

The cross-validation runs the pipeline's own components outside Rasa's trainer (tokenizer, accent
restorer, e5 featurizer, then the intent classifier and the fallback thresholds of config.yml,
trained on K-1 folds of each language-and-intent stratum and scored on the rest). The e5 vectors are
computed once; the accent restorer is built once from all training examples, so the scored folds'
unaccented messages are restored by a model that saw their accented wording (slightly optimistic for
Vietnamese).
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOLDOUT = ROOT / "bench" / "nlu_holdout"
LANGS = ("vi", "en", "zh", "ko", "ja")
FALLBACK = "nlu_fallback"


def _load(path: Path):
    from rasa.shared.nlu.training_data.loading import load_data  # noqa: TID251 (a bench script)

    return load_data(str(path))


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").replace("đ", "d")
    return re.sub(r"[\W_]+", " ", text).strip()


def check(nlu_dir: Path, threshold: float = 0.9) -> int:
    """Held-out messages equal to, or nearly equal to, a training example (accents and
    punctuation ignored): there should be none."""
    train = [m.get("text") for f in sorted(nlu_dir.glob("*.yml")) if f.name != "regex.yml"
             for m in _load(f).intent_examples]
    train_norm = {_norm(t): t for t in train}
    found = 0
    for lang in LANGS:
        for m in _load(HOLDOUT / f"{lang}.yml").intent_examples:
            text = m.get("text")
            n = _norm(text)
            if n in train_norm:
                print(f"  {lang} copy: {text!r} = {train_norm[n]!r}")
                found += 1
                continue
            close = difflib.get_close_matches(n, train_norm.keys(), n=1, cutoff=threshold)
            if close and len(n) > 6:  # very short messages ("yes", "ok") can only be near each other
                print(f"  {lang} near-copy: {text!r} ~ {train_norm[close[0]]!r}")
                found += 1
    print(f"near-copies (ratio >= {threshold}, > 6 chars) or copies: {found}")
    return found


def train(config: Path, nlu_dir: Path, out: Path) -> Path:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    start = time.time()
    subprocess.run([str(Path(sys.executable).with_name("rasa")), "train", "nlu", "--nlu", str(nlu_dir),
                    "--config", str(config), "--out", str(out), "--fixed-model-name", "nlu"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"trained {config.name} in {time.time() - start:.0f} s")
    return out / "nlu.tar.gz"


async def _parse_all(model: Path, texts):
    from rasa.core.agent import Agent  # noqa: TID251 (a bench script)

    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def _macro_f1(gold, pred, labels):
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s)


def evaluate(model: Path, show: int, errors: bool) -> dict:
    rows = []  # (lang, text, gold intent, gold entities)
    for lang in LANGS:
        for m in _load(HOLDOUT / f"{lang}.yml").intent_examples:
            ents = {(e["entity"], str(e.get("value"))) for e in m.get("entities") or []}
            rows.append((lang, m.get("text"), m.get("intent"), ents))
    start = time.time()
    parsed = asyncio.run(_parse_all(model, [r[1] for r in rows]))
    elapsed = time.time() - start
    results = {}
    for lang in LANGS:
        idx = [i for i, r in enumerate(rows) if r[0] == lang]
        gold = [rows[i][2] for i in idx]
        pred = [parsed[i]["intent"]["name"] for i in idx]
        top = [next((r["name"] for r in parsed[i].get("intent_ranking") or [] if r["name"] != FALLBACK),
                    parsed[i]["intent"]["name"]) for i in idx]  # the classifier's own best guess
        labels = sorted(set(gold))
        conf = Counter((g, p) for g, p in zip(gold, pred) if g != p)
        tp = fp = fn = 0
        for i in idx:
            got = {(e["entity"], str(e.get("value"))) for e in parsed[i].get("entities") or []}
            want = rows[i][3]
            tp += len(got & want)
            fp += len(got - want)
            fn += len(want - got)
        ep = tp / (tp + fp) if tp + fp else 0.0
        er = tp / (tp + fn) if tp + fn else 0.0
        results[lang] = {
            "n": len(idx),
            "intent_macro_f1": round(_macro_f1(gold, pred, labels), 3),
            "intent_accuracy": round(sum(g == p for g, p in zip(gold, pred)) / len(idx), 3),
            "fallbacks": sum(p == FALLBACK for p in pred),
            "fallbacks_right": sum(p == FALLBACK and t == g for p, t, g in zip(pred, top, gold)),
            "macro_f1_without_fallback": round(_macro_f1(gold, top, labels), 3),
            "entity_precision": round(ep, 3), "entity_recall": round(er, 3),
            "entity_f1": round(2 * ep * er / (ep + er), 3) if ep + er else 0.0,
            "worst_confusions": [f"{g} -> {p}: {n}" for (g, p), n in conf.most_common(show)],
        }
        if errors:
            for i in idx:
                p = parsed[i]["intent"]
                if p["name"] != rows[i][2]:
                    t = top[idx.index(i)]
                    print(f"  {lang} {rows[i][2]} -> {p['name']} ({p.get('confidence', 0):.2f}, top {t}): {rows[i][1]}")
    print(f"parsed {len(rows)} messages in {elapsed:.1f} s")
    return results


def cross_validate(config_path: Path, nlu_dir: Path, folds: int) -> dict:
    """Per-language intent macro-F1 (fallbacks as errors) over `folds` stratified folds of data/nlu."""
    import numpy as np
    import yaml
    from rasa.engine.graph import ExecutionContext, GraphSchema  # noqa: TID251 (a bench script)
    from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: TID251
    from rasa.engine.storage.resource import Resource  # noqa: TID251
    from rasa.shared.nlu.training_data.message import Message  # noqa: TID251
    from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: TID251
    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.accents import VietnameseAccents, build_restorer
    from bot.nlu.classifier import E5CharIntentClassifier
    from bot.nlu.featurizer import E5Featurizer
    from bot.nlu.tokenizer import MultilingualTokenizer

    pipeline = {c["name"].rsplit(".", 1)[-1]: c for c in yaml.safe_load(config_path.read_text("utf-8"))["pipeline"]}
    rows = [(lang, m.get("text"), m.get("intent")) for lang in LANGS
            for m in _load(nlu_dir / f"{lang}.yml").intent_examples]
    start = time.time()
    messages = [Message(data={"text": text}) for _, text, _ in rows]
    MultilingualTokenizer({**MultilingualTokenizer.get_default_config(),
                           **{k: v for k, v in pipeline["MultilingualTokenizer"].items() if k != "name"}}
                          ).process(messages)
    accents = VietnameseAccents(pipeline.get("VietnameseAccents", {}), None, None,
                                build_restorer(ROOT / "data" / "procedures", [t for _, t, _ in rows]))
    accents.process(messages)
    context = ExecutionContext(GraphSchema({}), node_name="e5")
    E5Featurizer.create({**E5Featurizer.get_default_config(), "share_vectors": False, "threads": 2},
                        None, None, context).process(messages)
    print(f"featurized {len(rows)} training examples in {time.time() - start:.0f} s")
    config = {**E5CharIntentClassifier.get_default_config(),
              **{k: v for k, v in pipeline["E5CharIntentClassifier"].items() if k not in ("name", "featurizers")}}
    fallback = pipeline.get("FallbackClassifier", {})
    threshold, ambiguity = fallback.get("threshold", 0.0), fallback.get("ambiguity_threshold", 0.0)
    gold = np.array([intent for _, _, intent in rows])
    langs = np.array([lang for lang, _, _ in rows])
    pred = np.empty(len(rows), dtype=object)
    split = StratifiedKFold(folds, shuffle=True, random_state=0).split(gold, np.char.add(langs, gold))
    with tempfile.TemporaryDirectory(prefix="nlu_cv_") as tmp:
        for k, (train_idx, test_idx) in enumerate(split):
            train_msgs = [Message(data={"text": rows[i][1], "intent": rows[i][2]}, features=messages[i].features)
                          for i in train_idx]
            (Path(tmp) / str(k)).mkdir()
            classifier = E5CharIntentClassifier.create(config, LocalModelStorage(Path(tmp) / str(k)),
                                                       Resource("intents"), context)
            classifier.train(TrainingData(train_msgs))
            test_msgs = [Message(data={"text": rows[i][1]}, features=messages[i].features) for i in test_idx]
            classifier.process(test_msgs)
            for i, m in zip(test_idx, test_msgs):
                ranking = m.get("intent_ranking")
                top = ranking[0]["confidence"]
                second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
                pred[i] = FALLBACK if top < threshold or top - second < ambiguity else ranking[0]["name"]
    results = {}
    for lang in LANGS:
        idx = np.flatnonzero(langs == lang)
        g, p = list(gold[idx]), list(pred[idx])
        results[lang] = {"n": len(idx), "intent_macro_f1": round(_macro_f1(g, p, sorted(set(g))), 3),
                         "intent_accuracy": round(sum(a == b for a, b in zip(g, p)) / len(idx), 3),
                         "fallbacks": sum(x == FALLBACK for x in p)}
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="an existing model (.tar.gz); default: train one")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yml")
    ap.add_argument("--nlu", type=Path, default=ROOT / "data" / "nlu")
    ap.add_argument("--keep", type=Path, help="directory to keep the trained model in")
    ap.add_argument("--show", type=int, default=5, help="confusions shown per language")
    ap.add_argument("--errors", action="store_true", help="print every misclassified message")
    ap.add_argument("--check", action="store_true", help="only check held-out vs training near-copies")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation on the training data instead")
    args = ap.parse_args()

    if args.cv:
        results = cross_validate(args.config, args.nlu, args.cv)
        print(f"{args.cv}-fold cross-validation on {args.nlu}")
        print(f"{'lang':4} {'n':>5} {'intentF1':>8} {'acc':>6} {'fallb':>5}")
        for lang, r in results.items():
            print(f"{lang:4} {r['n']:5} {r['intent_macro_f1']:8.3f} {r['intent_accuracy']:6.3f} {r['fallbacks']:5}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        return

    if check(args.nlu) and args.check:
        sys.exit(1)
    if args.check:
        return
    with tempfile.TemporaryDirectory(prefix="nlu_eval_") as tmp:
        model = args.model or train(args.config, args.nlu, args.keep or Path(tmp))
        results = evaluate(model, args.show, args.errors)
    print(f"{'lang':4} {'n':>4} {'intentF1':>8} {'acc':>6} {'fallb':>5} {'fb_ok':>5} {'F1_nofb':>7} {'entP':>6} {'entR':>6} "
          f"{'entF1':>6}")
    for lang, r in results.items():
        print(f"{lang:4} {r['n']:4} {r['intent_macro_f1']:8.3f} {r['intent_accuracy']:6.3f} {r['fallbacks']:5} "
              f"{r['fallbacks_right']:5} {r['macro_f1_without_fallback']:7.3f} "
              f"{r['entity_precision']:6.3f} {r['entity_recall']:6.3f} {r['entity_f1']:6.3f}")
    for lang, r in results.items():
        print(f"{lang} worst: " + "; ".join(r["worst_confusions"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
