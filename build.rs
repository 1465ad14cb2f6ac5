//! Embeds assets/demo (the sample mailbox for `--demo`) into the binary.

use std::fmt::Write;
use std::path::Path;

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push((
                rel.to_string_lossy().into_owned(),
                p.canonicalize()
                    .unwrap_or(p.clone())
                    .to_string_lossy()
                    .into_owned(),
            ));
        }
    }
}

fn main() {
    let root = Path::new("assets/demo");
    println!("cargo:rerun-if-changed=assets/demo");
    let mut files = Vec::new();
    collect(root, root, &mut files);
    let mut code = String::from("pub static DEMO_FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        let _ = writeln!(code, "    ({rel:?}, include_bytes!({abs:?})),");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("demo_files.rs");
    std::fs::write(out, code).expect("write demo_files.rs");
}
