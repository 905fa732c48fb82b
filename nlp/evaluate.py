"""Measure theme detection and theme sentiment on a labeled file.

    python -m nlp.evaluate FORMAT TEST [TEST ...] [--train TRAIN | --model FOLDER]
                                       [--taxonomy FILE] [--embeddings PATH|none] [--json]
    python -m nlp.evaluate FORMAT FILE --holdout 0.2   (train on 80% of FILE, test on the rest)
    python -m nlp.evaluate FORMAT FILE --cv 5          (5-fold cross-validation over FILE)

FORMAT is semeval2014, semeval2016 or jsonl. Without --train the taxonomy (the default one, or
FILE) and the default model (or the one in --model FOLDER) are used; with --train the models are
first fitted on TRAIN. Several jsonl TEST files are measured as one set (the held-out parts
together). Every F1 comes with its 95% bootstrap interval: how far it could move on another set
of the same size. For the SemEval formats the themes are the file's aspect categories, learned
from the training data. Models fitted here use the embeddings shipped in nlp/data/embeddings
(when present), as the shipped configuration does; --embeddings names another folder, or none.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.analyzer import Analyzer
from nlp.embeddings import SHIPPED
from nlp.errors import ModelError
from nlp.learn import MIN_EXAMPLES, LabeledExample, normalise_score, train
from nlp.model import load_model
from nlp.scoring import NONE, merge, score
from nlp.taxonomy import Taxonomy, Theme, default_taxonomy

FORMATS = ("semeval2014", "semeval2016", "jsonl")
_POLARITY = {"conflict": "mixed"}


@dataclass(frozen=True)
class Item:
    """One gold sentence or comment: its themes (slug -> polarity) and the score if known."""

    text: str
    themes: dict[str, str]
    score: float | None = None
    sentiment: str | None = None


def slug_for(category: str) -> str:
    """A theme slug for a SemEval category ("FOOD#QUALITY" -> "food-quality")."""
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")[:64] or "theme"


def read(fmt: str, path: str | Path) -> tuple[list[Item], dict[str, str]]:
    """Read a labeled file; returns the items and slug -> category name for SemEval files."""
    if fmt == "jsonl":
        return _read_jsonl(Path(path)), {}
    root = ET.parse(path).getroot()
    items, names = [], {}
    tag = "aspectCategory" if fmt == "semeval2014" else "Opinion"
    for sentence in root.iter("sentence"):
        if sentence.get("OutOfScope") == "TRUE":
            continue
        text = sentence.findtext("text") or ""
        found: dict[str, set[str]] = {}
        for label in sentence.iter(tag):
            category, polarity = label.get("category"), label.get("polarity")
            if not category or not polarity:
                continue
            slug = slug_for(category)
            names[slug] = category
            found.setdefault(slug, set()).add(_POLARITY.get(polarity, polarity))
        items.append(Item(text, {slug: _one(pols) for slug, pols in found.items()}))
    return items, names


def _one(polarities: set[str]) -> str:
    """One polarity for a category named several times in a sentence."""
    if len(polarities) == 1:
        return next(iter(polarities))
    if "mixed" in polarities or {"positive", "negative"} <= polarities:
        return "mixed"
    return next(p for p in sorted(polarities) if p != "neutral")


def _read_jsonl(path: Path) -> list[Item]:
    items = []
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                themes = {str(k): str(v) for k, v in (record.get("themes") or {}).items()}
            except (ValueError, AttributeError) as exc:
                msg = f"{path}:{n}: not a JSON object with text and themes: {exc}"
                raise SystemExit(msg) from exc
            score = record.get("score")
            kind = record.get("kind")
            scaled = normalise_score(str(kind), score) if kind and score is not None else None
            items.append(Item(str(record["text"]), themes, scaled, record.get("sentiment")))
    return items


def derived_taxonomy(items: Sequence[Item], names: dict[str, str]) -> Taxonomy:
    """Themes for a SemEval file: its categories, without seed phrases.

    The software taxonomy does not apply to restaurants, and seed words picked from the same
    training sentences would only repeat what the model learns from them (measured: flags from
    such words over-fit and lower held-out F1), so the learned detector decides alone.
    """
    slugs = sorted({s for item in items for s in item.themes})
    return Taxonomy(tuple(Theme(slug=s, name=names.get(s, s)) for s in slugs))


def fitted(
    fmt: str,
    train_items: Sequence[Item],
    taxonomy: Taxonomy,
    names: dict[str, str],
    minimum: int,
    embeddings: str | Path | None = SHIPPED,
) -> Analyzer:
    if fmt != "jsonl":
        taxonomy = derived_taxonomy(train_items, names)
    examples = [LabeledExample(i.text, i.themes, i.score, i.sentiment) for i in train_items]
    model, _ = train(examples, taxonomy, embeddings_path=embeddings, min_examples=minimum)
    folder = None if embeddings in (None, SHIPPED) else embeddings
    return Analyzer(taxonomy=taxonomy, model=model, embeddings_path=folder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nlp.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("test", nargs="+", help="the labeled file(s) to measure on")
    parser.add_argument("--train", help="fit the learned models on this file first")
    parser.add_argument("--taxonomy", help="taxonomy JSON file (default: the shipped one)")
    parser.add_argument("--model", help="a saved model's folder (default: the shipped one)")
    parser.add_argument(
        "--holdout", type=float, help="test on this fraction of TEST, train on the rest"
    )
    parser.add_argument("--cv", type=int, help="k-fold cross-validation over TEST")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-examples", type=int, default=MIN_EXAMPLES)
    parser.add_argument(
        "--embeddings",
        default=SHIPPED,
        help="model2vec folder for the models fitted here, or none (default: the shipped ones)",
    )
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = parser.parse_args(argv)

    taxonomy = default_taxonomy()
    if args.taxonomy:
        taxonomy = Taxonomy.from_dict(json.loads(Path(args.taxonomy).read_text(encoding="utf-8")))
    if len(args.test) > 1 and args.format != "jsonl":
        parser.error("several TEST files are read only in the jsonl format")
    items, names = [], {}
    for path in args.test:
        more, more_names = read(args.format, path)
        items += more
        names |= more_names
    embeddings = None if args.embeddings.lower() == "none" else args.embeddings
    if args.holdout or args.cv:
        shuffled = list(items)
        random.Random(args.seed).shuffle(shuffled)
        k = args.cv or 1
        parts = []
        for fold in range(k):
            if args.cv:
                test = shuffled[fold::k]
                rest = [x for i, x in enumerate(shuffled) if i % k != fold]
            else:
                cut = int(len(shuffled) * (1 - args.holdout))
                rest, test = shuffled[:cut], shuffled[cut:]
            analyzer = fitted(args.format, rest, taxonomy, names, args.min_examples, embeddings)
            parts.append(score(analyzer, test))
        result = merge(parts) if len(parts) > 1 else parts[0]
    else:
        if args.train:
            train_items, train_names = read(args.format, args.train)
            analyzer = fitted(
                args.format, train_items, taxonomy, train_names, args.min_examples, embeddings
            )
        else:
            folder = None if embeddings in (None, SHIPPED) else embeddings
            try:
                model = load_model(args.model)
            except ModelError as exc:
                parser.error(str(exc))
            analyzer = Analyzer(taxonomy=taxonomy, model=model, embeddings_path=folder)
        result = score(analyzer, items)
    _print(result, names)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


def _print(result: dict[str, Any], names: dict[str, str]) -> None:
    print(
        f"theme detection  precision {result['precision']:.4f}  recall {result['recall']:.4f}"
        f"  F1 {result['f1']:.4f}{_interval(result)}"
    )
    print(
        f"  {'theme':<28} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}"
        f"{'  95% interval of F1' if 'f1_interval' in result else ''}"
    )
    for slug, row in result["per_theme"].items():
        print(
            f"  {names.get(slug, slug):<28} {row['precision']:>9.4f} {row['recall']:>7.4f}"
            f" {row['f1']:>7.4f} {row['support']:>8}{_interval(row)}"
        )
    print(
        f"theme sentiment accuracy {result['sentiment_accuracy']:.4f}"
        f" over {result['n_pairs']} gold pairs"
    )
    print(f"end-to-end (theme, polarity) F1 {result['end_to_end_f1']:.4f}")
    _print_confusion(result["confusion"], names)
    _print_calibration(result["calibration"], result["uncertain"])
    if result["not_analysed"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(result["not_analysed"].items()))
        print(f"not analysed (not English): {sum(result['not_analysed'].values())} ({counts})")
    print(f"n {result['n']}")


def _interval(figures: dict[str, Any]) -> str:
    """ "  (0.61-0.75)" after an F1 measured on one set; pooled folds have none."""
    if "f1_interval" not in figures:
        return ""
    low, high = figures["f1_interval"]
    return f"  ({low:.2f}-{high:.2f})"


def _print_confusion(table: dict[str, dict[str, int]], names: dict[str, str]) -> None:
    """Rows: the gold theme missed; columns: the theme tagged in its place."""
    if not table:
        return
    cols = sorted({c for row in table.values() for c in row} - {NONE}) + [NONE]
    rows = sorted(set(table) - {NONE}) + ([NONE] if NONE in table else [])
    width = max(6, *(len(names.get(c, c)[:9]) for c in cols))
    print("confusion: gold theme missed (rows) -> theme tagged instead (columns)")
    print(" " * 16 + " ".join(f"{names.get(c, c)[:9]:>{width}}" for c in cols))
    for r in rows:
        cells = " ".join(f"{table[r].get(c, 0) or '.':>{width}}" for c in cols)
        print(f"  {names.get(r, r)[:14]:<14}{cells}")


def _print_calibration(table: dict[str, Any], uncertain: dict[str, Any]) -> None:
    if not table["bins"]:
        return
    print("calibration of the learned themes' probabilities")
    print(f"  {'probability':<12} {'pairs':>7} {'mean':>7} {'observed':>9}")
    for b in table["bins"]:
        span = f"{b['low']:.1f}-{b['high']:.1f}"
        if not b["n"]:
            print(f"  {span:<12} {0:>7}")
            continue
        print(f"  {span:<12} {b['n']:>7} {b['mean']:>7.3f} {b['observed']:>9.3f}")
    print(f"  expected calibration error {table['ece']:.4f} over {table['pairs']} pairs")
    if uncertain["offered"]:
        print(
            f"uncertain: {uncertain['offered']} themes offered on {uncertain['comments']}"
            f" comments, {uncertain['right']:.1%} of them right"
        )


if __name__ == "__main__":
    sys.exit(main())
