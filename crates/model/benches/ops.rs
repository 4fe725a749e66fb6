//! Single operations of the cpu config's network on the `flex` backend, at the shapes one
//! sampling pass uses (4 streams: cond + null for two people; widths 160, 250 and 125 frames):
//! the per-operation half of the profile in crates/model/README.md. Its PyTorch twin is
//! bench/torch_ops.py (same shapes, same order of rows).
//!
//! `cargo bench -p duologue-model --bench ops` (RAYON_NUM_THREADS caps the threads)

use std::time::Instant;

use duologue_model::burn::nn::attention::{MhaInput, MultiHeadAttentionConfig};
use duologue_model::burn::nn::conv::Conv1dConfig;
use duologue_model::burn::nn::{GroupNormConfig, LinearConfig, PaddingConfig1d};
use duologue_model::burn::prelude::*;
use duologue_model::burn::tensor::activation::{silu, softmax};
use duologue_model::burn::tensor::Distribution;

/// Mean milliseconds per call over 50 calls after 5 warm-up calls; `f` reads its result back
/// to the host (`into_data`), which on `flex` is a copy of the output.
fn time_ms(mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    let t = Instant::now();
    for _ in 0..50 {
        f();
    }
    t.elapsed().as_secs_f64() / 50.0 * 1e3
}

fn main() {
    let d = Device::flex();
    let (n, w) = (4usize, 160usize);
    println!("| op (flex) | T 250 ms | T 125 ms |\n|---|---|---|");
    let mut rows: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut add = |name: &'static str, v: f64| match rows.iter_mut().find(|r| r.0 == name) {
        Some(r) => r.1.push(v),
        None => rows.push((name, vec![v])),
    };
    for t in [250usize, 125] {
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<3>::random([n, w, t], normal, &d); // [N, W, T]
        let e = Tensor::<3>::random([n, t, w], normal, &d); // [N, T, W]
        let conv = Conv1dConfig::new(w, w, 3).with_padding(PaddingConfig1d::Explicit(1, 1)).init(&d);
        let gn = GroupNormConfig::new(32, w).init(&d);
        let film = LinearConfig::new(w, 2 * w).init(&d);
        let mha = MultiHeadAttentionConfig::new(w, 8).with_dropout(0.0).init(&d);
        let a2 = e.clone().reshape([n * t, w]);
        let b2 = Tensor::<2>::random([w, w], normal, &d);
        add("conv1d k3 160->160", time_ms(|| drop(conv.forward(x.clone()).into_data())));
        add("gemm [N*T,160]x[160,160]", time_ms(|| drop(a2.clone().matmul(b2.clone()).into_data())));
        add("linear 160->320 (FiLM)", time_ms(|| drop(film.forward(e.clone()).into_data())));
        add("group norm (32 groups)", time_ms(|| drop(gn.forward(x.clone()).into_data())));
        add("silu", time_ms(|| drop(silu(x.clone()).into_data())));
        add("exp", time_ms(|| drop(x.clone().exp().into_data())));
        add("mul", time_ms(|| drop((x.clone() * x.clone()).into_data())));
        add("softmax (last dim)", time_ms(|| drop(softmax(x.clone(), 2).into_data())));
        add(
            "multi-head attention (8 heads)",
            time_ms(|| drop(mha.forward(MhaInput::self_attn(e.clone())).context.into_data())),
        );
    }
    for (name, v) in rows {
        println!("| {name} | {:.3} | {:.3} |", v[0], v[1]);
    }
}
