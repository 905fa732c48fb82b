"""The figures of an analyzer on labeled comments: per theme, confusion and calibration.

`score` runs the analyzer once over the comments and returns every figure as plain data, so
the command line, the benchmarks and the tests read the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from nlp.analyzer import Analyzer
from nlp.pipeline import cap
from nlp.taxonomy import OTHER

NONE = "(none)"
# Probability bins of the calibration table: finer where the decisions are made.
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# Resamples of the comments behind each F1's 95% interval; a fixed seed keeps reports stable.
RESAMPLES = 1000


class Labeled(Protocol):
    text: str
    themes: dict[str, str]
    score: float | None


def score(analyzer: Analyzer, items: Sequence[Labeled]) -> dict[str, Any]:
    """Detection precision/recall/F1 overall and per theme, the confusion between themes,
    sentiment accuracy on the gold themes, end-to-end (theme, polarity) F1, the calibration of
    the learned themes' probabilities and how many comments were not analysed, by language."""
    texts = [item.text for item in items]
    scores = [item.score for item in items]
    results = analyzer.analyse_batch(texts, scores)
    gold_sets = [{s for s in item.themes if s != OTHER} for item in items]
    pred = [{m.slug: m.sentiment for m in r.themes if m.slug != OTHER} for r in results]
    slugs = sorted(set().union(*gold_sets, *(set(p) for p in pred))) if items else []
    each = np.zeros((len(items), len(slugs), 3), dtype=np.int64)  # comment, theme, tp/fp/fn
    e2e = [0, 0, 0]
    for i, (gold, item, found) in enumerate(zip(gold_sets, items, pred, strict=True)):
        for j, s in enumerate(slugs):
            each[i, j] = (s in gold and s in found, s in found and s not in gold,
                          s in gold and s not in found)  # fmt: skip
        gold_pairs = {(s, item.themes[s]) for s in gold}
        found_pairs = set(found.items())
        e2e[0] += len(gold_pairs & found_pairs)
        e2e[1] += len(found_pairs - gold_pairs)
        e2e[2] += len(gold_pairs - found_pairs)
    counts = dict(zip(slugs, each.sum(axis=0).tolist(), strict=True))
    precision, recall, f1 = prf(*each.sum(axis=(0, 1)).tolist())
    overall_interval, theme_intervals = f1_intervals(each)
    per_theme = {}
    for j, (s, (tp, fp, fn)) in enumerate(counts.items()):
        p, r, f = prf(tp, fp, fn)
        per_theme[s] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            "f1_interval": theme_intervals[j],
            "support": tp + fn,
        }
    gold_themes = [sorted(g) for g in gold_sets]
    predicted = analyzer.theme_sentiments(texts, gold_themes, scores)
    pairs = [
        (item.themes[s], predicted[i][s]) for i, item in enumerate(items) for s in gold_themes[i]
    ]
    accuracy = sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0
    not_analysed: dict[str, int] = {}
    for r in results:
        if not r.is_english and r.text_language != "und":
            not_analysed[r.text_language] = not_analysed.get(r.text_language, 0) + 1
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "f1_interval": overall_interval,
        "per_theme": per_theme,
        "confusion": confusion(gold_sets, [set(p) for p in pred]),
        "calibration": calibration(
            analyzer, texts, gold_sets, [i for i, r in enumerate(results) if r.is_english]
        ),
        "uncertain": uncertain_figures(results, gold_sets),
        "sentiment_accuracy": round(accuracy, 4),
        "end_to_end_f1": round(prf(*e2e)[2], 4),
        "not_analysed": not_analysed,
        "n": len(items),
        "n_pairs": len(pairs),
    }


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def f1_intervals(
    each: np.ndarray, resamples: int = RESAMPLES, seed: int = 0
) -> tuple[list[float], list[list[float]]]:
    """95% bootstrap intervals of the overall and each theme's F1, from `each` (comment x
    theme x (tp, fp, fn)): how far the figures could move on another set of the same size.

    A theme with 50 comments in a test set moves by several points between equally good
    sets; a target within its interval is neither met nor missed by that set alone.
    """
    n = each.shape[0]
    if n == 0:
        return [0.0, 0.0], [[0.0, 0.0] for _ in range(each.shape[1])]
    rng = np.random.default_rng(seed)
    # How many times each comment is drawn in each resample, then the sums it gives.
    drawn = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)])
    sums = np.einsum("bn,ntk->btk", drawn.astype(np.float64), each.astype(np.float64))

    def f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        denominator = 2 * tp + fp + fn
        return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)

    def interval(values: np.ndarray) -> list[float]:
        low, high = np.percentile(values, [2.5, 97.5])
        return [round(float(low), 4), round(float(high), 4)]

    total = sums.sum(axis=1)
    themes = f1(sums[..., 0], sums[..., 1], sums[..., 2])
    return interval(f1(total[:, 0], total[:, 1], total[:, 2])), [
        interval(themes[:, j]) for j in range(each.shape[1])
    ]


def confusion(gold: Sequence[set[str]], found: Sequence[set[str]]) -> dict[str, dict[str, int]]:
    """gold theme -> theme tagged in its place -> comments.

    In a comment, each gold theme that was missed is paired with each theme tagged that the
    comment does not have; a miss with nothing tagged in its place counts under "(none)", and a
    wrong tag with no miss beside it counts in the "(none)" row.
    """
    table: dict[str, dict[str, int]] = {}
    for g, f in zip(gold, found, strict=True):
        missed, wrong = sorted(g - f), sorted(f - g)
        for m in missed:
            for w in wrong or [NONE]:
                row = table.setdefault(m, {})
                row[w] = row.get(w, 0) + 1
        if not missed:
            for w in wrong:
                row = table.setdefault(NONE, {})
                row[w] = row.get(w, 0) + 1
    return table


def calibration(
    analyzer: Analyzer, texts: Sequence[str], gold: Sequence[set[str]], rows: Sequence[int]
) -> dict[str, Any]:
    """How often a learned theme applies, against the probability the model gave it.

    Every (comment of `rows`, learned theme) pair falls in a probability bin; a well calibrated
    model's observed rate matches the bin's mean probability. `ece` is the expected
    calibration error (the pairs-weighted mean gap).
    """
    model = analyzer.model
    if model is None or not analyzer.learned:
        return {"bins": [], "ece": None, "pairs": 0}
    parsed = analyzer.parse([cap(texts[i], analyzer.max_chars) for i in rows])
    probs = model.detect(parsed, analyzer.vectors(parsed))
    columns = [model.themes.index(slug) for slug in analyzer.learned]
    p = probs[:, columns].ravel()
    truth = np.array(
        [slug in gold[i] for i in rows for slug in analyzer.learned], dtype=bool
    ).ravel()
    sums = []
    for low, high in zip(BINS[:-1], BINS[1:], strict=True):
        inside = (p >= low) & ((p < high) if high < 1.0 else (p <= high))
        sums.append((int(inside.sum()), float(p[inside].sum()), float(truth[inside].sum())))
    return _calibration_table(sums)


def _calibration_table(sums: Sequence[tuple[int, float, float]]) -> dict[str, Any]:
    """The table from each bin's (pairs, summed probability, pairs where the theme was there)."""
    bins, gap, total = [], 0.0, 0
    spans = zip(BINS[:-1], BINS[1:], strict=True)
    for (low, high), (n, p_sum, hits) in zip(spans, sums, strict=True):
        if not n:
            bins.append({"low": low, "high": high, "n": 0, "mean": None, "observed": None})
            continue
        mean, observed = p_sum / n, hits / n
        gap += n * abs(mean - observed)
        total += n
        bins.append(
            {
                "low": low,
                "high": high,
                "n": n,
                "mean": round(mean, 4),
                "observed": round(observed, 4),
            }
        )
    return {"bins": bins, "ece": round(gap / total, 4) if total else None, "pairs": total}


def uncertain_figures(results: Sequence[Any], gold: Sequence[set[str]]) -> dict[str, Any]:
    """How many comments were offered an uncertain theme, and how often it was right."""
    offered = right = comments = 0
    for r, g in zip(results, gold, strict=True):
        if r.uncertain:
            comments += 1
        for slug in r.uncertain:
            offered += 1
            right += slug in g
    return {
        "comments": comments,
        "offered": offered,
        "right": round(right / offered, 4) if offered else None,
    }


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool fold results: sums where figures are counts, item-weighted means otherwise."""
    n = sum(r["n"] for r in results)
    pairs = sum(r["n_pairs"] for r in results) or 1
    merged: dict[str, Any] = {
        key: round(sum(r[key] * r["n"] for r in results) / n, 4)
        for key in ("precision", "recall", "f1", "end_to_end_f1")
    }
    merged["sentiment_accuracy"] = round(
        sum(r["sentiment_accuracy"] * r["n_pairs"] for r in results) / pairs, 4
    )
    slugs = sorted({s for r in results for s in r["per_theme"]})
    merged["per_theme"] = {}
    for s in slugs:
        parts = [r["per_theme"][s] for r in results if s in r["per_theme"]]
        merged["per_theme"][s] = {
            k: round(sum(p[k] for p in parts) / len(parts), 4)
            for k in ("precision", "recall", "f1")
        } | {"support": sum(p["support"] for p in parts)}
    merged["confusion"] = _sum_tables([r["confusion"] for r in results])
    merged["calibration"] = _merge_calibration([r["calibration"] for r in results])
    merged["uncertain"] = {
        "comments": sum(r["uncertain"]["comments"] for r in results),
        "offered": sum(r["uncertain"]["offered"] for r in results),
        "right": None,
    }
    offered = merged["uncertain"]["offered"]
    if offered:
        right = sum((r["uncertain"]["right"] or 0) * r["uncertain"]["offered"] for r in results)
        merged["uncertain"]["right"] = round(right / offered, 4)
    merged["not_analysed"] = _sum_tables([{"x": r["not_analysed"]} for r in results]).get("x", {})
    merged["n"] = n
    merged["n_pairs"] = sum(r["n_pairs"] for r in results)
    return merged


def _sum_tables(tables: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for table in tables:
        for row, cells in table.items():
            target = out.setdefault(row, {})
            for col, count in cells.items():
                target[col] = target.get(col, 0) + count
    return out


def _merge_calibration(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if not any(p["bins"] for p in parts):
        return {"bins": [], "ece": None, "pairs": 0}
    cells = [[b for p in parts for b in p["bins"] if b["low"] == low] for low in BINS[:-1]]
    return _calibration_table(
        [
            (
                sum(b["n"] for b in cell),
                sum(b["n"] * (b["mean"] or 0.0) for b in cell),
                sum(b["n"] * (b["observed"] or 0.0) for b in cell),
            )
            for cell in cells
        ]
    )
