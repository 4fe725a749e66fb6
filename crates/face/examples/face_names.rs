//! Prints the component tables (expression, identity, ARKit) as Markdown for the README:
//! `cargo run -p duologue-face --example face_names`
use duologue_face::{arkit_matrix, describe_expressions, describe_identity, ARKIT_NAMES, EXPRESSION_NAMES};

fn main() {
    println!("| psi | name | meaning | ARKit |\n|---|---|---|---|");
    let m = arkit_matrix();
    for (k, (name, meaning)) in describe_expressions().iter().enumerate() {
        let targets: Vec<String> = ARKIT_NAMES
            .iter()
            .zip(&m)
            .filter(|(_, row)| row[k] != 0.0)
            .map(|(n, row)| if row[k] == 1.0 { n.to_string() } else { format!("{n} x{}", row[k]) })
            .collect();
        let group = if k < 20 { " (lip/jaw)" } else { "" };
        println!("| {k}{group} | `{name}` | {meaning} | {} |", targets.join(", "));
    }
    println!("\n| beta | name | meaning |\n|---|---|---|");
    for (i, (name, meaning)) in describe_identity().iter().enumerate() {
        println!("| {i} | `{name}` | {meaning} |");
    }
    debug_assert_eq!(EXPRESSION_NAMES.len(), 63);
}
