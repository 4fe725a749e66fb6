//! `duologue layout "TEXT"`: text to the two people's 3D head positions (paper §3.5,
//! appendix §2.2), explicit positions and presets, a top-down picture, and `--eval` (tMSE of
//! every available method on the library's held-out set, appendix §4).

use anyhow::{bail, Context, Result};
use duologue_layout::{
    draw, eval, parse_positions, validate, Bounds, Layout, Layouter, Library, LlmClient, LlmConfig, Method,
    Policy, TextEmbedder,
};
use std::path::PathBuf;

/// Arguments of `duologue layout`.
#[derive(clap::Args)]
pub struct Args {
    /// Description of the scene, e.g. "two friends whispering at a party".
    pub text: Option<String>,
    /// fewshot (LLM with 3 examples), zeroshot (LLM, no examples) or knn (offline). Default:
    /// fewshot when an LLM is configured, knn otherwise.
    #[arg(long)]
    pub method: Option<String>,
    /// Text embedder for kNN: tfidf (built in), minilm (all-MiniLM-L6-v2, after
    /// crates/text/scripts/fetch_minilm.sh) or auto (minilm when installed, else tfidf).
    #[arg(long, default_value = "auto")]
    pub embedder: String,
    /// Explicit positions instead of text: "A=x,y,z;B=x,y,z" (metres, DESIGN.md §2 frame).
    #[arg(long, conflicts_with_all = ["text", "preset"])]
    pub positions: Option<String>,
    /// A named preset (see --list-presets).
    #[arg(long, conflicts_with = "text")]
    pub preset: Option<String>,
    /// List the presets and exit.
    #[arg(long)]
    pub list_presets: bool,
    /// Report tMSE of each available method on the held-out set.
    #[arg(long, conflicts_with_all = ["text", "positions", "preset"])]
    pub eval: bool,
    /// Draw a top-down picture (.svg or .png) with both heads and their facing directions.
    #[arg(long, value_name = "FILE")]
    pub draw: Option<PathBuf>,
    /// Picture size in pixels.
    #[arg(long, default_value_t = 600)]
    pub size: u32,
    /// Print method, notes and each person's facing (yaw/pitch, neck/head axis-angle) too.
    #[arg(long)]
    pub details: bool,
    /// Reject out-of-range LLM replies (then retry / fall back) instead of clamping them.
    #[arg(long)]
    pub strict: bool,
    /// Layout library JSON (default: the built-in one).
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Seed for drawing the few-shot examples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the LLM prompt that would be sent, and exit.
    #[arg(long)]
    pub show_prompt: bool,
    #[command(flatten)]
    pub llm: super::LlmArgs,
}

fn embedder(name: &str, library: &Library) -> Result<(Box<dyn TextEmbedder>, Option<String>)> {
    let tfidf = || Box::new(duologue_layout::tfidf_for(library)) as Box<dyn TextEmbedder>;
    match name {
        "tfidf" => Ok((tfidf(), None)),
        "minilm" => Ok((Box::new(duologue_text::MiniLm::load_default()?), None)),
        "auto" => match duologue_text::MiniLm::load_default() {
            Ok(m) => Ok((Box::new(m), None)),
            Err(e) => Ok((tfidf(), Some(format!("using tfidf: {e}")))),
        },
        other => bail!("unknown --embedder {other:?} (tfidf, minilm or auto)"),
    }
}

pub fn run(args: Args) -> Result<()> {
    let library = match &args.library {
        Some(p) => Library::open(p)?,
        None => Library::builtin(),
    };
    if args.list_presets {
        for e in library.entries() {
            if let Some(p) = &e.preset {
                println!("{p:<14} {}  {}", Layout { a: e.a, b: e.b }.to_json(), e.text);
            }
        }
        return Ok(());
    }
    let llm = args.llm.config()?;
    if args.eval {
        return run_eval(&args, library, llm);
    }

    let policy = if args.strict { Policy::Reject } else { Policy::Clamp };
    let (layout, title, details) = if let Some(p) = &args.positions {
        let c = validate(&parse_positions(p)?, &Bounds::default(), policy)?;
        for n in &c.notes {
            eprintln!("warning: {n}");
        }
        (c.layout, format!("positions {p}"), serde_json::json!({"method": "positions", "notes": c.notes}))
    } else if let Some(name) = &args.preset {
        let e = library.preset(name)?;
        (
            e.layout(),
            format!("preset {name}: {}", e.text),
            serde_json::json!({"method": "preset", "notes": []}),
        )
    } else {
        let Some(text) = &args.text else {
            bail!("give a description, --positions, --preset, --list-presets or --eval");
        };
        let (emb, note) = embedder(&args.embedder, &library)?;
        if let Some(n) = note {
            if args.details {
                eprintln!("note: {n}");
            }
        }
        let mut l = Layouter::new(library, emb, llm.map(LlmClient::new))?;
        l.policy = policy;
        l.seed = args.seed;
        let method = match &args.method {
            Some(m) => Method::parse(m)
                .with_context(|| format!("unknown --method {m:?} (fewshot, zeroshot, knn)"))?,
            None => l.default_method(),
        };
        if args.show_prompt {
            match l.prompt(text, method) {
                Some(msgs) => {
                    for m in msgs {
                        println!("--- {} ---\n{}", m.role, m.content);
                    }
                }
                None => println!("(knn sends no prompt)"),
            }
            return Ok(());
        }
        let o = l.layout(text, method)?;
        for n in &o.notes {
            eprintln!("warning: {n}");
        }
        let d =
            serde_json::json!({"method": o.used.name(), "requested": o.requested.name(), "notes": o.notes});
        (o.layout, text.clone(), d)
    };

    if args.details {
        let [fa, fb] = layout.facing();
        // f32 -> shortest decimal, so 0.09 prints as 0.09 and not 0.09000000357627869.
        let r = |x: f32| format!("{x}").parse::<f64>().unwrap_or(x as f64);
        let r3 = |p: [f32; 3]| p.map(r);
        let f = |x: duologue_layout::Facing| {
            serde_json::json!({"yaw": r(x.yaw), "pitch": r(x.pitch), "neck": r3(x.neck), "head": r3(x.head),
                "forward": r3(x.forward)})
        };
        let mut v =
            serde_json::json!({"A": r3(layout.a), "B": r3(layout.b), "distance": r(layout.distance())});
        v["facing"] = serde_json::json!({"A": f(fa), "B": f(fb)});
        for (k, x) in details.as_object().into_iter().flatten() {
            v[k] = x.clone();
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}", layout.to_json());
    }
    if let Some(path) = &args.draw {
        draw::write(&layout, &title, path, args.size)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn run_eval(args: &Args, library: Library, llm: Option<LlmConfig>) -> Result<()> {
    let heldout: Vec<_> = library.heldout().into_iter().cloned().collect();
    let heldout: Vec<&_> = heldout.iter().collect();
    println!(
        "held-out set: {} descriptions; pool: {}; tMSE = mean over both people of |t - t_gt|² (m²)\n",
        heldout.len(),
        library.pool().len()
    );
    let mut rows = vec![eval::constant(Layout::face_to_face(), &heldout, "face-to-face 1 m (default)")];
    let mut missing = Vec::new();
    let names: Vec<&str> = match args.embedder.as_str() {
        "auto" => vec!["tfidf", "minilm"],
        one => vec![one],
    };
    let mut fallback_embedder = "tfidf";
    for name in names {
        match embedder(name, &library) {
            Ok((emb, _)) => {
                let l = Layouter::new(library.clone(), emb, None)?;
                rows.push(eval::evaluate(&l, Method::Knn, &heldout, &format!("k=5, {name}"))?);
                fallback_embedder = name;
            }
            Err(e) => missing.push(format!("knn with {name}: not available ({e:#})")),
        }
    }
    match llm {
        Some(cfg) => {
            let model = cfg.model.clone();
            let (emb, _) = embedder(fallback_embedder, &library)?;
            let mut l = Layouter::new(library.clone(), emb, Some(LlmClient::new(cfg)))?;
            l.seed = args.seed;
            for m in [Method::ZeroShot, Method::FewShot] {
                rows.push(eval::evaluate(&l, m, &heldout, &model)?);
            }
        }
        None => missing.push("fewshot, zeroshot: no LLM configured (--llm-url / DUOLOGUE_LLM_URL)".into()),
    }
    print!("{}", eval::table(&rows));
    for m in missing {
        println!("skipped: {m}");
    }
    Ok(())
}
