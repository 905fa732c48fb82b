"""Train the default model shipped with the package, reproducibly:

    python -m nlp.train_default [--out nlp/data/model]

It learns from nlp/data/comments.jsonl with the default taxonomy, the shipped static embeddings
(nlp/data/embeddings) and a fixed seed, prints the 5-fold cross-validated report as JSON and
saves the model (arrays.npz + model.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path

from nlp.embeddings import SHIPPED
from nlp.learn import Settings, examples_from_records, train
from nlp.taxonomy import default_taxonomy

VERSION_PREFIX = "default"


def main(argv: list[str] | None = None) -> int:
    data = resources.files("nlp").joinpath("data")
    parser = argparse.ArgumentParser(prog="python -m nlp.train_default")
    parser.add_argument("--out", default=str(data.joinpath("model")))
    parser.add_argument("--comments", default=str(data.joinpath("comments.jsonl")))
    args = parser.parse_args(argv)
    lines = Path(args.comments).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    examples = examples_from_records(records)
    # The blank pipeline, so the shipped model does not depend on what else is installed.
    model, report = train(
        examples,
        default_taxonomy(),
        embeddings_path=SHIPPED,
        folds=5,
        settings=Settings(seed=0, even_themes=True),
        spacy_model="blank",
    )
    model.version = f"{VERSION_PREFIX}-{model.version}"
    model.save(args.out)
    print(json.dumps(report.to_dict(), indent=2))
    print(f"saved {model.version} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
