//! The layering rules of ../shared/DESIGN.md §1, checked on the `use` lines and paths of
//! every source file: a breach fails the build's tests.

use std::path::Path;

/// (layer, crate-internal modules it must not use, external crates it must not use)
const RULES: &[(&str, &[&str], &[&str])] = &[
    (
        "core",
        &[
            "mime", "store", "config", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["tokio", "ratatui", "crossterm", "rusqlite"],
    ),
    (
        "mime",
        &[
            "store", "config", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["tokio", "ratatui", "crossterm", "rusqlite"],
    ),
    (
        "store",
        &[
            "mime", "config", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["tokio", "ratatui", "crossterm"],
    ),
    (
        "config",
        &[
            "mime", "store", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["tokio", "ratatui", "crossterm"],
    ),
    (
        "net",
        &[
            "mime", "store", "config", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["ratatui", "crossterm", "rusqlite"],
    ),
    (
        "protocol",
        &[
            "mime", "store", "config", "net", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &[
            "tokio",
            "ratatui",
            "crossterm",
            "rusqlite",
            "std::net",
            "std::fs",
            "std::process",
        ],
    ),
    (
        "compose",
        &[
            "net", "protocol", "account", "app", "ui", "run", "cli", "terminal",
        ],
        &["tokio", "ratatui", "crossterm", "rusqlite"],
    ),
    (
        "account",
        &["app", "ui", "run", "cli", "terminal"],
        &["ratatui", "crossterm"],
    ),
    (
        "app",
        &["store", "account", "ui", "run", "cli", "terminal"],
        &["tokio", "ratatui", "crossterm", "rusqlite"],
    ),
    (
        "ui",
        &["store", "account", "run", "cli", "config", "terminal"],
        &["tokio", "rusqlite", "std::fs"],
    ),
];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn layers_only_depend_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut breaches = Vec::new();
    for (layer, internal, external) in RULES {
        let mut files = Vec::new();
        sources(&root.join(layer), &mut files);
        assert!(!files.is_empty(), "layer {layer} has no files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for m in *internal {
                    if code.contains(&format!("crate::{m}::"))
                        || code.contains(&format!("crate::{m};"))
                        || code.contains(&format!("crate::{{{m}"))
                    {
                        breaches.push(format!(
                            "{}:{}: {layer} uses crate::{m}",
                            f.display(),
                            n + 1
                        ));
                    }
                }
                for x in *external {
                    if code.contains(&format!("{x}::")) && !code.contains(&format!("_{x}::")) {
                        breaches.push(format!("{}:{}: {layer} uses {x}", f.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "layering breaches:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn every_module_has_a_header() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a //! header: {missing:?}"
    );
}
