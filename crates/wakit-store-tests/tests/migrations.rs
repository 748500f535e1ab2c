//! Both backends carry the same migration versions and names, so a deployment can move
//! between them and `wakit migrate` reports the same history on each.

use std::path::Path;

fn names(dir: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir)
        .join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_versions_and_names() {
    let sqlite = names("wakit-store-sqlite");
    let postgres = names("wakit-store-postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for n in &sqlite {
        let (version, rest) = n.split_once('_').expect("VERSION_name.sql");
        assert!(
            version.chars().all(|c| c.is_ascii_digit()),
            "{n}: version must be digits"
        );
        assert!(!rest.is_empty());
    }
}
