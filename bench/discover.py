"""Theme discovery speed: finding each comment's phrases (what analysis stores) and ranking
them (what the themes page does), on the shipped comments (about 3,000), the older half as
the period before. Last line: one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from nlp import default_taxonomy  # noqa: E402
from nlp.discover import phrase_sets, rank  # noqa: E402

DATA = os.path.join(ROOT, "nlp", "data")
FILES = ("comments.jsonl", "dev/software_comments.jsonl", "heldout/software_comments.jsonl")


def _texts() -> list[str]:
    texts = []
    for name in FILES:
        with open(os.path.join(DATA, name), encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    texts = _texts()
    taxonomy = default_taxonomy()
    phrase_sets(texts[:10])  # load the pipeline outside the timing
    sets_best, sets_median = _best(lambda: phrase_sets(texts), 3)
    found = [set(p) for p in phrase_sets(texts)]
    half = len(texts) // 2
    now, before = found[half:], found[:half]
    current = texts[half:]
    rank(current, now, before, taxonomy=taxonomy)  # the taxonomy's lemmas are kept
    rank_best, rank_median = _best(lambda: rank(current, now, before, taxonomy=taxonomy))
    top = rank(current, now, before, taxonomy=taxonomy)
    print(f"{len(texts):,} comments")
    print(f"phrase_sets: {sets_best * 1000:.0f} ms (median {sets_median * 1000:.0f} ms)")
    print(f"rank {len(now):,} against {len(before):,}: {rank_best * 1000:.1f} ms")
    print("top:", [c.phrase for c in top])
    result = {
        "comments": len(texts),
        "phrase_sets_ms": round(sets_best * 1000, 1),
        "rank_ms": round(rank_best * 1000, 1),
        "rank_median_ms": round(rank_median * 1000, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
