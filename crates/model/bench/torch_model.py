#!/usr/bin/env python3
"""PyTorch twin of crates/model/src/network.rs (and the diffusion/training pieces it needs),
for the side-by-side speed comparison only. Same architecture, same parameter count, same
configs (read from configs/*.toml). Not used by tests or CI (PyTorch is a ~5 GB install).

    python3 crates/model/bench/torch_model.py [paper|cpu ...] [--threads 2] [--gen-reps 3]
        [--train-steps 6] [--batch 4] [--velocity]

`--velocity` adds the vertex-velocity loss as crates/model/src/losses.rs computes it (identity
and expression blendshapes, the neck <- head <- eyes joint chain, 4-joint linear blend skinning
of 256 vertices, for the prediction and the target), on a face geometry of the same shapes with
random values: the operations and their sizes are the Rust trainer's, the numbers are not.
"""
import argparse
import math
import statistics
import time
import tomllib
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

X_DIM, N_ID = 78, 50
PSI, THETA, DT = slice(0, 63), slice(63, 75), slice(75, 78)
LOGSNR_MIN, LOGSNR_MAX = -15.0, 15.0


def cond_dim(c):
    return c["audio_dim"] + 1 + 2 * c["role_dim"] + 2 + 6 + 2 * N_ID


class Film(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.proj = nn.Linear(w, 2 * w)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, h, emb):  # h [N, W, T], emb [N, T, W]
        gb = self.proj(emb).transpose(1, 2)
        gamma, beta = gb.chunk(2, dim=1)
        return h * (gamma + 1) + beta


class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(c["groups"], c["width"])
        self.mha = nn.MultiheadAttention(c["width"], c["heads"], batch_first=True)

    def forward(self, h, cross):
        q = self.norm(h).transpose(1, 2)  # [N, T, W]
        kv = torch.cat([q[q.shape[0] // 2:], q[: q.shape[0] // 2]]) if cross else q
        a, _ = self.mha(q, kv, kv, need_weights=False)
        return h + a.transpose(1, 2)


def conv(c, stride=1):
    return nn.Conv1d(c["width"], c["width"], c["kernel"], stride=stride, padding=c["kernel"] // 2)


class SubBlock(nn.Module):
    def __init__(self, c, self_attn, cross_attn):
        super().__init__()
        w = c["width"]
        self.norm1, self.conv1 = nn.GroupNorm(c["groups"], w), conv(c)
        self.norm2, self.film, self.conv2 = nn.GroupNorm(c["groups"], w), Film(w), conv(c)
        self.self_attn = Attn(c) if self_attn else None
        self.cross_attn = Attn(c) if cross_attn else None

    def forward(self, h, emb):
        r = self.conv1(F.silu(self.norm1(h)))
        r = self.film(self.norm2(r), emb)
        h = h + self.conv2(F.silu(r))
        if self.self_attn is not None:
            h = self.self_attn(h, False)
        if self.cross_attn is not None:
            h = self.cross_attn(h, True)
        return h


def time_features(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / max(half, 1)) * 1000.0
    a = t[:, None] * freqs[None]
    parts = [a.sin(), a.cos()]
    if dim % 2:
        parts.append(torch.zeros(t.shape[0], 1))
    return torch.cat(parts, 1)


class DuoNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, k = c["width"], c["kernel"]
        self.c = c
        self.e_speak = nn.Parameter(torch.randn(c["role_dim"]))
        self.e_listen = nn.Parameter(torch.randn(c["role_dim"]))
        self.cond1, self.cond2 = nn.Linear(cond_dim(c), w), nn.Linear(w, w)
        self.time1, self.time2 = nn.Linear(w, w), nn.Linear(w, w)
        self.input = nn.Conv1d(X_DIM + cond_dim(c), w, k, padding=k // 2)
        lvl = lambda i, cross: nn.ModuleList(SubBlock(c, i >= c["attention_from"], cross) for _ in range(c["sub_blocks"]))
        self.encoder = nn.ModuleList(lvl(i, False) for i in range(c["blocks"]))
        self.down = nn.ModuleList(conv(c, 2) for _ in range(1, c["blocks"]))
        self.decoder = nn.ModuleList(lvl(i, True) for i in range(c["blocks"]))
        self.up = nn.ModuleList(conv(c) for _ in range(1, c["blocks"]))
        self.out_norm = nn.GroupNorm(c["groups"], w)
        self.output = nn.Conv1d(w, X_DIM, k, padding=k // 2)

    def role(self, m):
        m = m[..., None]
        return m * self.e_speak + (1 - m) * self.e_listen

    def conditioning(self, cond):
        audio, present, m_a, m_b, t0_a, t0_b, beta_a, beta_b = cond
        b, l, _ = audio.shape
        fr = lambda t: t[:, None, :].expand(b, l, t.shape[1])
        p = fr(present[:, None])
        ra, rb = self.role(m_a), self.role(m_b)
        ma, mb = m_a[..., None], m_b[..., None]
        ca = torch.cat([audio, p, ra, rb, ma, mb, fr(t0_a), fr(t0_b), fr(beta_a), fr(beta_b)], 2)
        cb = torch.cat([audio, p, rb, ra, mb, ma, fr(t0_b), fr(t0_a), fr(beta_b), fr(beta_a)], 2)
        return torch.cat([ca, cb], 0)

    def forward(self, x_a, x_b, t, cond):
        b = x_a.shape[0]
        c = self.conditioning(cond)
        tt = torch.cat([t, t])
        temb = self.time2(F.silu(self.time1(time_features(tt, self.c["width"]))))
        emb = self.cond2(F.silu(self.cond1(c))) + temb[:, None]
        h = self.input(torch.cat([torch.cat([x_a, x_b]), c], 2).transpose(1, 2))
        embs = [emb]
        for _ in range(1, len(self.encoder)):
            e = embs[-1]
            n, tl, w = e.shape
            embs.append(e.reshape(n, tl // 2, 2, w).mean(2))
        skips = []
        for i, level in enumerate(self.encoder):
            if i > 0:
                h = self.down[i - 1](h)
            for s in level:
                h = s(h, embs[i])
            skips.append(h)
        for i in reversed(range(len(self.decoder))):
            if i + 1 < len(self.decoder):
                h = self.up[i](h.repeat_interleave(2, dim=2))
            h = h + skips[i]
            for s in self.decoder[i]:
                h = s(h, embs[i])
        y = self.output(F.silu(self.out_norm(h))).transpose(1, 2)
        return y[:b], y[b:]


def alpha_sigma(t):
    b = math.atan(math.exp(-0.5 * LOGSNR_MAX))
    a = math.atan(math.exp(-0.5 * LOGSNR_MIN)) - b
    lam = -2.0 * torch.log(torch.tan(a * t + b))
    return torch.sigmoid(lam).sqrt(), torch.sigmoid(-lam).sqrt()


@torch.no_grad()
def sample(net, cond, l, steps=8, guidance=2.5):
    # Conditional and unconditional passes batched into one network call, as in the Rust
    # DuoDenoiser::denoise_both.
    null = (torch.zeros_like(cond[0]), torch.zeros_like(cond[1])) + cond[2:]
    both = tuple(torch.cat([c, n]) for c, n in zip(cond, null))
    z = torch.randn(2, l, X_DIM)
    times = [1 - i / steps for i in range(steps + 1)]
    for i in range(steps):
        t, s = torch.tensor(times[i]), torch.tensor(times[i + 1])
        tb = torch.full((2,), float(t))
        a, b = net(torch.cat([z[:1], z[:1]]), torch.cat([z[1:], z[1:]]), tb, both)
        c, u = torch.cat([a[:1], b[:1]]), torch.cat([a[1:], b[1:]])
        x0 = u + guidance * (c - u)
        if i + 1 < steps:
            at, st = alpha_sigma(t)
            as_, ss = alpha_sigma(s)
            z = as_ * x0 + ss * (z - at * x0) / st
    return x0


def rodrigues(r):
    th = (r * r).sum(1, keepdim=True).add(1e-12).sqrt()
    k = r / th
    kx, ky, kz = k[:, :1], k[:, 1:2], k[:, 2:]
    c, s = th.cos(), th.sin()
    v = 1 - c
    e = [c + kx * kx * v, kx * ky * v - kz * s, kx * kz * v + ky * s,
         ky * kx * v + kz * s, c + ky * ky * v, ky * kz * v - kx * s,
         kz * kx * v - ky * s, kz * ky * v + kx * s, c + kz * kz * v]
    return torch.cat(e, 1).reshape(-1, 3, 3)


def gaze(theta):
    rn, rh = rodrigues(theta[:, 0:3]), rodrigues(theta[:, 3:6])
    head = rn @ rh
    left, right = head @ rodrigues(theta[:, 6:9]), head @ rodrigues(theta[:, 9:12])
    g = -(left[:, :, 2] + right[:, :, 2])
    return g / (g * g).sum(1, keepdim=True).add(1e-12).sqrt()


class FaceGeometry:
    """The velocity loss's geometry (losses.rs `FaceGeometry`): S vertices, random values."""

    def __init__(self, s=256, n_expr=63):
        g = torch.Generator().manual_seed(1)
        r = lambda *shape: torch.randn(*shape, generator=g).to(torch.get_default_device())
        self.s = s
        self.template, self.identity, self.expression = r(1, s * 3), r(N_ID, s * 3) * 0.01, r(n_expr, s * 3) * 0.01
        w = torch.rand(s, 4, generator=g).to(torch.get_default_device())
        self.weights = w / w.sum(1, keepdim=True)
        self.joint_basis = r(N_ID, 12) * 0.01
        self.joint_rest = r(1, 12)

    def vertices(self, x, betas):
        """x [P, L, 78] (natural units), betas [P, 50] -> [P, L, S, 3]."""
        p, l, _ = x.shape
        n, s = p * l, self.s
        idv = (betas @ self.identity)[:, None, :]
        ex = (x[..., PSI].reshape(n, -1) @ self.expression).reshape(p, l, s * 3)
        shaped = (ex + idv + self.template[None]).reshape(n, s, 3)
        j = (self.joint_rest + betas @ self.joint_basis).reshape(p, 1, 4, 3).expand(p, l, 4, 3).reshape(n, 4, 3)
        th = x[..., THETA].reshape(n, 12)
        neck = rodrigues(th[:, 0:3])
        head = neck @ rodrigues(th[:, 3:6])
        rots = [neck, head, head @ rodrigues(th[:, 6:9]), head @ rodrigues(th[:, 9:12])]
        parent = [None, 0, 1, 1]
        pos = []
        for i, par in enumerate(parent):
            ji = j[:, i:i + 1]
            pos.append(ji if par is None else pos[par] + (ji - j[:, par:par + 1]) @ rots[par].transpose(1, 2))
        world = torch.zeros(n, s, 3)
        for i in range(4):
            local = shaped - j[:, i:i + 1]
            world = world + (local @ rots[i].transpose(1, 2) + pos[i]) * self.weights[None, :, i:i + 1]
        return (world + x[..., DT].reshape(n, 1, 3)).reshape(p, l, s, 3)


def train_step(net, ema, opt, batch, lr_weights, theta_scale, face=None):
    za, zb, cond = batch
    b, l, _ = za.shape
    t = torch.rand(b)
    al, si = alpha_sigma(t)
    al, si = al[:, None, None], si[:, None, None]
    ha, hb = net(al * za + si * torch.randn_like(za), al * zb + si * torch.randn_like(zb), t, cond)
    pred, tgt = torch.cat([ha, hb]), torch.cat([za, zb])
    w = lr_weights
    loss = (w["expression"] * ((pred[..., PSI] - tgt[..., PSI]) ** 2).mean()
            + w["rotation"] * ((pred[..., THETA] - tgt[..., THETA]) ** 2).mean()
            + w["translation"] * ((pred[..., DT] - tgt[..., DT]) ** 2).mean())
    gp = gaze((pred[..., THETA] / theta_scale).reshape(-1, 12))
    gt = gaze((tgt[..., THETA] / theta_scale).reshape(-1, 12))
    loss = loss + w["gaze"] * (1 - (gp * gt).sum(1)).mean()
    if face is not None:
        # Natural units (theta / theta_scale), both people's identities, vertex_unit 100.
        inv = torch.ones(X_DIM)
        inv[THETA] = 1 / theta_scale
        inv[DT] = 1 / 10.0
        betas = torch.cat([cond[6], cond[7]])
        vel = lambda v: v[:, 1:] - v[:, :-1]
        vp, vt = face.vertices(pred * inv, betas) * 100.0, face.vertices(tgt * inv, betas) * 100.0
        loss = loss + w["velocity"] * ((vel(vp) - vel(vt)) ** 2).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    with torch.no_grad():
        for e, p in zip(ema.parameters(), net.parameters()):
            e.mul_(0.999).add_(p, alpha=0.001)
    return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("configs", nargs="*", default=["cpu", "paper"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gen-reps", type=int, default=3)
    ap.add_argument("--train-steps", type=int, default=6)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--velocity", action="store_true", help="add the vertex-velocity loss (as duologue train)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (fp32; TF32 off so both sides do fp32 math)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_default_device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    torch.manual_seed(0)
    root = Path(__file__).resolve().parents[3] / "configs"
    for name in args.configs:
        cfg = tomllib.loads((root / f"{name}.toml").read_text())
        c = {"width": 512, "blocks": 2, "sub_blocks": 2, "attention_from": 1, "heads": 8, "groups": 32,
             "audio_dim": 80, "role_dim": 64, "kernel": 3}
        c.update({k: v for k, v in cfg["model"].items() if k in c})
        l = 250
        net = DuoNet(c).eval()
        print(f"[{name}] width {c['width']} params {sum(p.numel() for p in net.parameters())}")
        mk = lambda b: (torch.randn(b, l, c["audio_dim"]), torch.ones(b), torch.rand(b, l), torch.rand(b, l),
                        torch.randn(b, 3), torch.randn(b, 3), torch.randn(b, N_ID), torch.randn(b, N_ID))
        cond = mk(1)
        sample(net, cond, l)
        sync()
        ts = []
        for _ in range(args.gen_reps):
            s = time.perf_counter()
            sample(net, cond, l)
            sync()
            ts.append(time.perf_counter() - s)
        print(f"[{name}] torch generate 10 s (8 DDIM steps, guidance 2.5): median {statistics.median(ts):.3f} s over {args.gen_reps}")

        net.train()
        ema = DuoNet(c)
        ema.load_state_dict(net.state_dict())
        opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=1e-4, eps=1e-5)
        b = args.batch
        batch = (torch.randn(b, l, X_DIM) * 0.1, torch.randn(b, l, X_DIM) * 0.1, mk(b))
        weights = {"expression": 1.0, "rotation": 8.0, "translation": 1.0, "gaze": 5.0, "velocity": 1.0}
        face = FaceGeometry() if args.velocity else None
        ts = []
        for i in range(args.train_steps):
            s = time.perf_counter()
            train_step(net, ema, opt, batch, weights, cfg["model"].get("scale", {}).get("theta", 4.0), face)
            if i > 0:
                ts.append(time.perf_counter() - s)
        t = statistics.median(ts)
        print(f"[{name}] torch train step (batch {b}, L 250, fwd+loss+bwd+AdamW+EMA): median {t:.3f} s = {b / t:.2f} samples/s")


if __name__ == "__main__":
    main()
