//! `duologue layout "TEXT"`: text to the two people's 3D head positions and facing (paper §3.5,
//! appendix §2.2; the structured offline method of crates/layout/README.md), explicit positions
//! and presets, a top-down picture, `--eval` (every available method on the labelled test
//! sentences and the library's held-out set, appendix §4) and `--train` (the structured
//! method's weights from crates/layout/data/scenes.json).

use anyhow::{bail, Result};
use duologue_layout::{
    details, draw, eval, parse_positions, structured, validate, Bounds, Layouter, Library, LlmClient, Method,
    Policy, SentenceSet, TextEmbedder,
};
use std::path::PathBuf;
use std::rc::Rc;

/// How a text becomes a layout.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum MethodArg {
    /// Attributes read from the sentence and composed (offline).
    Structured,
    /// Mean of the 5 nearest library layouts (offline, the paper's baseline).
    Knn,
    /// LLM with 3 library examples (the paper's method).
    Fewshot,
    /// LLM without examples.
    Zeroshot,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Structured => Method::Structured,
            MethodArg::Knn => Method::Knn,
            MethodArg::Fewshot => Method::FewShot,
            MethodArg::Zeroshot => Method::ZeroShot,
        }
    }
}

/// The sentence embedder of the offline methods.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum EmbedderArg {
    /// all-MiniLM-L6-v2 when installed (scripts/setup.sh), else TF-IDF.
    Auto,
    /// TF-IDF, built in (the structured method then uses its cues alone).
    Tfidf,
    /// all-MiniLM-L6-v2 (crates/text/scripts/fetch_minilm.sh).
    Minilm,
}

/// Arguments of `duologue layout`.
#[derive(clap::Args)]
pub struct Args {
    /// Description of the scene, e.g. "two friends whispering at a party".
    pub text: Option<String>,
    /// Default: fewshot when an LLM is configured, structured otherwise.
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Sentence embedder for the structured method and kNN.
    #[arg(long, value_enum, default_value = "auto")]
    pub embedder: EmbedderArg,
    /// Explicit positions instead of text: "A=x,y,z;B=x,y,z" (metres, DESIGN.md §2 frame).
    #[arg(long, conflicts_with_all = ["text", "preset"])]
    pub positions: Option<String>,
    /// A named preset (see --list-presets).
    #[arg(long, conflicts_with = "text")]
    pub preset: Option<String>,
    /// List the presets and exit.
    #[arg(long)]
    pub list_presets: bool,
    /// Compare every available method on the test sentences and the library's held-out set.
    #[arg(long, conflicts_with_all = ["text", "positions", "preset", "train"])]
    pub eval: bool,
    /// Retrain the structured method (needs all-MiniLM-L6-v2) and write its weights to FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "positions", "preset"])]
    pub train: Option<PathBuf>,
    /// Draw a top-down picture (.svg or .png) with both heads and their facing directions.
    #[arg(long, value_name = "FILE")]
    pub draw: Option<PathBuf>,
    /// Picture size in pixels.
    #[arg(long, default_value_t = 600)]
    pub size: u32,
    /// Print method, notes, facing and what the structured method read (attributes, how sure).
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

fn minilm() -> Result<Rc<dyn TextEmbedder>> {
    Ok(Rc::new(duologue_text::MiniLm::load_default()?))
}

/// The embedder asked for, and a note when `auto` had to fall back.
fn embedder(arg: EmbedderArg, library: &Library) -> Result<(Rc<dyn TextEmbedder>, Option<String>)> {
    let tfidf = || Rc::new(duologue_layout::tfidf_for(library)) as Rc<dyn TextEmbedder>;
    match arg {
        EmbedderArg::Tfidf => Ok((tfidf(), None)),
        EmbedderArg::Minilm => Ok((minilm()?, None)),
        EmbedderArg::Auto => match minilm() {
            Ok(m) => Ok((m, None)),
            Err(e) => {
                Ok((tfidf(), Some(format!("all-MiniLM-L6-v2 not available ({e:#}); using tfidf and cues"))))
            }
        },
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
                println!("{p:<14} {}  {}", e.layout().to_json(), e.text);
            }
        }
        return Ok(());
    }
    if let Some(out) = &args.train {
        let weights = structured::train(&SentenceSet::builtin()?, minilm()?.as_ref())?;
        std::fs::write(out, weights.to_json()? + "\n")?;
        eprintln!("wrote {} ({} training sentences)", out.display(), weights.trained_on);
        return Ok(());
    }
    let llm = args.llm.config()?.map(LlmClient::new);
    if args.eval {
        return run_eval(&args, library, llm);
    }

    let policy = if args.strict { Policy::Reject } else { Policy::Clamp };
    let (layout, facing, title, info) = if let Some(p) = &args.positions {
        let c = validate(&parse_positions(p)?, &Bounds::default(), policy)?;
        for n in &c.notes {
            eprintln!("warning: {n}");
        }
        let info = details(
            &c.layout,
            &c.layout.facing(),
            serde_json::json!({"method": "positions", "notes": c.notes}),
        );
        (c.layout, c.layout.facing(), format!("positions {p}"), info)
    } else if let Some(name) = &args.preset {
        let e = library.preset(name)?;
        let info =
            details(&e.layout(), &e.layout().facing(), serde_json::json!({"method": "preset", "notes": []}));
        (e.layout(), e.layout().facing(), format!("preset {name}: {}", e.text), info)
    } else {
        let Some(text) = &args.text else {
            bail!("give a description, --positions, --preset, --list-presets, --eval or --train");
        };
        let (emb, note) = embedder(args.embedder, &library)?;
        if let (Some(n), true) = (note, args.details) {
            eprintln!("note: {n}");
        }
        let mut l = Layouter::shared(library, emb, llm)?;
        l.policy = policy;
        l.seed = args.seed;
        let method = args.method.map_or(l.default_method(), Method::from);
        if args.show_prompt {
            match l.prompt(text, method) {
                Some(msgs) => msgs.iter().for_each(|m| println!("--- {} ---\n{}", m.role, m.content)),
                None => println!("({} sends no prompt)", method.name()),
            }
            return Ok(());
        }
        let o = l.layout(text, method)?;
        for n in &o.notes {
            eprintln!("warning: {n}");
        }
        (o.layout, o.facing(), text.clone(), o.details())
    };

    if args.details {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!("{}", layout.to_json());
    }
    if let Some(path) = &args.draw {
        draw::write_facing(&layout, &facing, &title, path, args.size)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn run_eval(args: &Args, library: Library, llm: Option<LlmClient>) -> Result<()> {
    let mut embedders: Vec<Rc<dyn TextEmbedder>> = Vec::new();
    let mut skipped = Vec::new();
    if args.embedder != EmbedderArg::Minilm {
        embedders.push(Rc::new(duologue_layout::tfidf_for(&library)));
    }
    if args.embedder != EmbedderArg::Tfidf {
        match minilm() {
            Ok(m) => embedders.push(m),
            Err(e) => skipped.push(format!("minilm: not available ({e:#}); run scripts/setup.sh")),
        }
    }
    if llm.is_none() {
        skipped.push("fewshot, zeroshot: no LLM configured (--llm-url / DUOLOGUE_LLM_URL)".into());
    }
    let setup = eval::Setup { library, sentences: SentenceSet::builtin()?, embedders, llm, seed: args.seed };
    print!("{}", eval::run(setup)?.render());
    for s in skipped {
        println!("skipped: {s}");
    }
    Ok(())
}
