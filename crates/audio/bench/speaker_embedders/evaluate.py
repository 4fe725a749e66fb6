import os
WORK = os.environ.get("SPK_WORK", "/tmp/spk")  # where fetch.sh unpacked the wheels and the data go
import json, sys, numpy as np
tag = sys.argv[1] if len(sys.argv) > 1 else ""
d = np.load(f"{WORK}/data/emb{tag}.npz"); lab = d["labels"]
meta = json.load(open(WORK + "/data/meta.json")); V = meta["voices"]
sex = np.array([v[1] for v in V]); acc = np.array([v[0].split("+")[0] for v in V])
models = [k for k in d.files if k != "labels"]
rng = np.random.default_rng(7)
nv = len(V)
allpairs = [(a, b) for a in range(nv) for b in range(a + 1, nv)]
pairs10 = [allpairs[i] for i in rng.choice(len(allpairs), 10, replace=False)]
hard = [(a, b) for a, b in allpairs if sex[a] == sex[b] and acc[a] == acc[b]]
draws = [[(rng.permutation(16)[:8], rng.permutation(16)[:8]) for _ in range(5)] for _ in range(len(pairs10) + len(hard))]

def l2(x): return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
def standardize(x):  # diarize.rs standardize(): z-score each dim over rows (population sd), then L2
    return l2((x - x.mean(0)) / np.maximum(x.std(0), 1e-6))
def two_means(r):    # diarize.rs two_means(): spherical, init from least similar pair, 20 iterations
    s = r @ r.T; i, j = np.unravel_index(np.argmin(s), s.shape); c = r[[i, j]].copy()
    for _ in range(20):
        k = (r @ c[1] > r @ c[0]).astype(int)
        for q in range(2):
            if (k == q).any():
                m = r[k == q].sum(0); c[q] = m / max(np.linalg.norm(m), 1e-9)
    return c
def explained(r, c):
    k = (r @ c[1] > r @ c[0]).astype(int)
    tot = ((r - r.mean(0)) ** 2).sum()
    w = sum(((r[k == q] - r[k == q].mean(0)) ** 2).sum() for q in range(2) if (k == q).any())
    return max(0.0, 1 - w / tot), k
def cluster(raw, std=True):
    r = standardize(raw) if std else l2(raw)
    c = two_means(r); sep, k = explained(r, c)
    n = l2(raw); m = [n[k == q].sum(0) for q in range(2)]
    sim = float(l2(np.stack(m))[0] @ l2(np.stack(m))[1]) if all((k == q).any() for q in range(2)) else 1.0
    return sep, k, sim
def eer(scores, same):
    o = np.argsort(-scores); s = same[o]; P, N = s.sum(), (~s).sum()
    fr = 1 - np.cumsum(s) / P; fa = np.cumsum(~s) / N
    i = np.argmin(np.abs(fr - fa)); return (fr[i] + fa[i]) / 2

res = {}
for name in models:
    e = l2(d[name]); S = e @ e.T
    iu = np.triu_indices(len(e), 1); sc = S[iu]; a, b = lab[iu[0]], lab[iu[1]]
    same = a == b
    va, vb = np.array(a), np.array(b)
    ss_sa = (~same) & (sex[va] == sex[vb]) & (acc[va] == acc[vb])
    ss = (~same) & (sex[va] == sex[vb]); xs = (~same) & (sex[va] != sex[vb])
    r = dict(within=sc[same].mean(), across=sc[~same].mean(), across_same_sex=sc[ss].mean(),
             across_cross_sex=sc[xs].mean(), across_same_sex_same_accent=sc[ss_sa].mean(),
             eer=eer(sc, same), eer_same_sex=eer(sc[same | ss], same[same | ss]),
             eer_hard=eer(sc[same | ss_sa], same[same | ss_sa]))
    # d-prime
    r["dprime"] = (sc[same].mean() - sc[~same].mean()) / np.sqrt(0.5 * (sc[same].var() + sc[~same].var()))
    for std in (True, False):
        tag = "std" if std else "l2"
        two, acc2, sims2 = [], [], []
        for pi, (p, q) in enumerate(pairs10 + hard):
            for ia, ib in draws[pi]:
                idx = np.concatenate([np.where(lab == p)[0][ia], np.where(lab == q)[0][ib]])
                truth = np.r_[np.zeros(8), np.ones(8)]
                sep, k, sim = cluster(d[name][idx], std)
                two.append((pi < 10, sep, sim, max((k == truth).mean(), (k != truth).mean())))
        one = [cluster(d[name][lab == v], std) for v in range(nv)]
        T = np.array([t[1:] for t in two if t[0]]); H = np.array([t[1:] for t in two if not t[0]])
        O = np.array([(o[0], o[2]) for o in one])
        def best_err(two_vals, one_vals, two_high):
            # fewest misclassified pools (two-voice vs one-voice) over all thresholds; also AUC
            v = np.r_[two_vals, one_vals]; y = np.r_[np.ones(len(two_vals)), np.zeros(len(one_vals))]
            if not two_high: v = -v
            errs = [((v >= t) != y).sum() for t in np.r_[v, np.inf]]
            auc = np.mean([(a > b) + 0.5 * (a == b) for a in (two_vals if two_high else -np.asarray(two_vals)) for b in (one_vals if two_high else -np.asarray(one_vals))])
            return int(min(errs)), float(auc)
        allT = np.array([t[1:] for t in two])
        r[tag + "_count"] = dict(sep=best_err(allT[:, 0], O[:, 0], True), sim=best_err(allT[:, 1], O[:, 1], False))
        r[tag] = dict(acc_random=T[:, 2].mean(), acc_random_min=T[:, 2].min(), acc_hard=H[:, 2].mean(), acc_hard_min=H[:, 2].min(),
                      sep_two=(T[:, 0].mean(), T[:, 0].min(), T[:, 0].max()), sep_two_hard=(H[:, 0].mean(), H[:, 0].min(), H[:, 0].max()),
                      sep_one=(O[:, 0].mean(), O[:, 0].min(), O[:, 0].max()),
                      sim_two=(T[:, 1].mean(), T[:, 1].min(), T[:, 1].max()), sim_two_hard=(H[:, 1].mean(), H[:, 1].min(), H[:, 1].max()),
                      sim_one=(O[:, 1].mean(), O[:, 1].min(), O[:, 1].max()))
    res[name] = r

f = lambda x: f"{x:.3f}"
rng3 = lambda t: f"{t[0]:.2f} [{t[1]:.2f}-{t[2]:.2f}]"
print("random pairs:", [(V[a][0], V[b][0]) for a, b in pairs10])
print("same-sex same-accent pairs:", [(V[a][0], V[b][0]) for a, b in hard])
print("\n| model | cos within | cos across | across same-sex | across cross-sex | across same-sex same-accent | EER all | EER same-sex | EER same-sex+accent | d' |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n, r in res.items():
    print(f"| {n} | {f(r['within'])} | {f(r['across'])} | {f(r['across_same_sex'])} | {f(r['across_cross_sex'])} | {f(r['across_same_sex_same_accent'])} | {100*r['eer']:.1f}% | {100*r['eer_same_sex']:.1f}% | {100*r['eer_hard']:.1f}% | {r['dprime']:.2f} |")
for tag, title in (("std", "project pipeline (z-score dims over the pool, L2, spherical 2-means)"), ("l2", "plain L2-normalised embeddings, spherical 2-means")):
    print(f"\nCluster test, {title}. Two-voice pools: 8+8 segments, 5 draws per pair; one-voice pools: 16 segments of each of {nv} voices. mean [min-max]")
    print("| model | acc random pairs (mean/min) | acc same-sex same-accent (mean/min) | separation 2-voice random | separation 2-voice hard | separation 1-voice | cluster-mean cos 2-voice random | 2-voice hard | 1-voice |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, r in res.items():
        c = r[tag]
        print(f"| {n} | {c['acc_random']:.3f} / {c['acc_random_min']:.2f} | {c['acc_hard']:.3f} / {c['acc_hard_min']:.2f} | {rng3(c['sep_two'])} | {rng3(c['sep_two_hard'])} | {rng3(c['sep_one'])} | {rng3(c['sim_two'])} | {rng3(c['sim_two_hard'])} | {rng3(c['sim_one'])} |")

print(f"\nVoice counting: {len(pairs10)*5 + len(hard)*5} two-voice pools vs {nv} one-voice pools; fewest misclassified pools at the best threshold (AUC)")
print("| model | separation, project pipeline | cluster-mean cos, project pipeline | separation, plain L2 | cluster-mean cos, plain L2 |")
print("|---|---|---|---|---|")
for n, r in res.items():
    a, b, c, e = r["std_count"]["sep"], r["std_count"]["sim"], r["l2_count"]["sep"], r["l2_count"]["sim"]
    print(f"| {n} | {a[0]} ({a[1]:.3f}) | {b[0]} ({b[1]:.3f}) | {c[0]} ({c[1]:.3f}) | {e[0]} ({e[1]:.3f}) |")
