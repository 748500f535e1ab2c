//! Embeds every file under `assets/` in the binary: writes `$OUT_DIR/assets.rs`, a table
//! of (path relative to `assets/`, `include_bytes!`), so a file dropped into `assets/`
//! is served without touching any Rust code.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=assets");
    let root =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("assets");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every embedded asset: (path under `assets/`, bytes).\npub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .expect("under assets")
            .to_str()
            .expect("UTF-8 asset path")
            .replace('\\', "/");
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            file.to_str().expect("UTF-8 path")
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("out dir")).join("assets.rs");
    std::fs::write(out, code).expect("write assets.rs");
}
