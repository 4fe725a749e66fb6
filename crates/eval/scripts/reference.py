#!/usr/bin/env python3
"""Reference Frechet distances for duologue-eval's FD, computed the pytorch-fid / DualTalk way.

numpy mean + np.cov(rowvar=False) (unbiased) and scipy.linalg.sqrtm(S1 @ S2) (real part), on a
small fixture drawn from a seeded numpy RNG. Writes fd_reference.json (features + expected FD)
into --out (default: crates/eval/tests/fixtures). Needs numpy and scipy (scripts/setup.sh).
"""
import argparse
import json
import os
import sys

try:
    import numpy as np
    import scipy.linalg
except ImportError as e:  # pragma: no cover
    sys.exit(f"reference.py needs numpy and scipy ({e}); install them with scripts/setup.sh")


def fd(a, b):
    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures"))
    args = parser.parse_args()

    rng = np.random.default_rng(20251126)
    n, d = 30, 5
    cases = []
    # Correlated Gaussians with different means and covariances.
    la, lb = rng.normal(size=(d, d)), rng.normal(size=(d, d)) * 0.5
    a = rng.normal(size=(n, d)) @ la
    b = rng.normal(size=(n, d)) @ lb + rng.normal(size=d)
    cases.append(("correlated", a, b))
    # A scaled and shifted copy (S2 = 4 S1), plus a set against itself.
    c = rng.normal(size=(n, d)) @ la
    cases.append(("scaled", c, 2.0 * c + 0.5))
    cases.append(("self", c, c.copy()))

    out = {"dim": d, "cases": []}
    for name, x, y in cases:
        # Round first so Rust and numpy read exactly the same numbers from the JSON.
        x, y = np.round(x, 6), np.round(y, 6)
        out["cases"].append({"name": name, "a": x.ravel().tolist(), "b": y.ravel().tolist(), "fd": fd(x, y)})
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "fd_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    for case in out["cases"]:
        print(f"{case['name']}: fd = {case['fd']:.12g}")


if __name__ == "__main__":
    main()
