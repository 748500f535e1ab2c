//! The embedded files (see `build.rs`): their content types, their content hashes (the
//! `?v=` of their URLs), and the index page. The page's ES modules import each other by
//! plain relative paths; the index carries an import map from each module's path to its
//! versioned URL, so every module is cached for a year and a changed one is fetched
//! anew, with no build step rewriting imports. The map is the page's only inline
//! script: the CSP allows it by its hash and nothing else inline.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The template of the page (`assets/index.html`); not served as an asset itself.
const INDEX: &str = "index.html";
/// Hex digits of the content hash in a URL.
const VERSION_LEN: usize = 16;

/// One served file.
#[derive(Debug)]
pub struct Asset {
    /// Its bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// The start of its SHA-256, in hex: the `v` of its URL and its ETag.
    pub version: String,
}

/// Every served file and the rendered index page.
#[derive(Debug)]
pub struct Assets {
    files: BTreeMap<&'static str, Asset>,
    /// The index page, with the import map and versioned URLs filled in.
    pub index: String,
    /// The index's ETag (changes with any asset).
    pub index_version: String,
    /// The `Content-Security-Policy` of every dashboard response.
    pub csp: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "text/plain; charset=utf-8",
    }
}

impl Assets {
    /// Hashes the embedded files and renders the index.
    pub fn load() -> Assets {
        Self::from_files(embedded::FILES)
    }

    /// The same from any set of files (tests).
    pub fn from_files(files: &[(&'static str, &'static [u8])]) -> Assets {
        let mut served = BTreeMap::new();
        let mut template = "";
        for (path, bytes) in files {
            if *path == INDEX {
                template = std::str::from_utf8(bytes).unwrap_or_default();
                continue;
            }
            let mut version = sha256_hex(bytes);
            version.truncate(VERSION_LEN);
            let content_type = content_type(path);
            served.insert(
                *path,
                Asset {
                    bytes,
                    content_type,
                    version,
                },
            );
        }
        let mut assets = Assets {
            files: served,
            index: String::new(),
            index_version: String::new(),
            csp: String::new(),
        };
        let import_map = assets.import_map();
        let map_hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(import_map.as_bytes()));
        assets.index = assets.render(template, &import_map);
        let mut version = sha256_hex(assets.index.as_bytes());
        version.truncate(VERSION_LEN);
        assets.index_version = version;
        assets.csp = format!(
            "default-src 'self'; script-src 'self' 'sha256-{map_hash}'; style-src 'self'; \
             img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
             font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        );
        assets
    }

    /// The file at `path` (relative to `assets/`).
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    /// The versioned URL of `path`, or the bare path when there is no such file.
    pub fn url(&self, path: &str) -> String {
        match self.files.get(path) {
            Some(a) => format!("/assets/{path}?v={}", a.version),
            None => format!("/assets/{path}"),
        }
    }

    /// `{"imports": {"/assets/js/x.js": "/assets/js/x.js?v=..."}}` for every module.
    fn import_map(&self) -> String {
        let imports: serde_json::Map<String, serde_json::Value> = self
            .files
            .keys()
            .filter(|p| p.ends_with(".js"))
            .map(|p| (format!("/assets/{p}"), self.url(p).into()))
            .collect();
        serde_json::json!({ "imports": imports }).to_string()
    }

    /// Fills `{{importmap}}` and every `{{asset:PATH}}` of the template.
    fn render(&self, template: &str, import_map: &str) -> String {
        let mut out = String::with_capacity(template.len() + import_map.len());
        let mut rest = template.replace("{{importmap}}", import_map);
        while let Some(start) = rest.find("{{asset:") {
            out.push_str(&rest[..start]);
            let after = &rest[start + "{{asset:".len()..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                rest.clear();
                break;
            };
            out.push_str(&self.url(&after[..end]));
            rest = after[end + 2..].to_string();
        }
        out.push_str(&rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &[u8] = b"<script type=\"importmap\">{{importmap}}</script>\
        <link rel=\"stylesheet\" href=\"{{asset:app.css}}\">\
        <script type=\"module\" src=\"{{asset:js/app.js}}\"></script>";

    #[test]
    fn the_index_maps_every_module_to_its_versioned_url() {
        let assets = Assets::from_files(&[
            ("index.html", TEMPLATE),
            ("app.css", b"body{}"),
            ("js/app.js", b"import './api.js';"),
            ("js/api.js", b"export {};"),
        ]);
        let api = assets.get("js/api.js").expect("api.js");
        assert_eq!(api.version.len(), VERSION_LEN);
        assert_eq!(api.content_type, "text/javascript; charset=utf-8");
        let api_url = format!("/assets/js/api.js?v={}", api.version);
        assert!(
            assets
                .index
                .contains(&format!("\"/assets/js/api.js\":\"{api_url}\""))
        );
        assert!(assets.index.contains(&assets.url("app.css")));
        assert!(assets.index.contains(&assets.url("js/app.js")));
        assert!(!assets.index.contains("{{"), "{}", assets.index);
        assert!(
            assets.get("index.html").is_none(),
            "the template is not an asset"
        );
    }

    #[test]
    fn the_csp_allows_exactly_the_import_map_inline() {
        let assets = Assets::from_files(&[("index.html", TEMPLATE), ("js/app.js", b"1")]);
        let map = assets
            .index
            .split("<script type=\"importmap\">")
            .nth(1)
            .and_then(|s| s.split("</script>").next())
            .expect("import map");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(map));
        assert!(assets.csp.contains(&format!("'sha256-{hash}'")));
        assert!(!assets.csp.contains("unsafe-inline"));
        assert!(assets.csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_changed_file_gets_a_new_version() {
        let a = Assets::from_files(&[("js/app.js", b"1")]);
        let b = Assets::from_files(&[("js/app.js", b"2")]);
        assert_ne!(a.url("js/app.js"), b.url("js/app.js"));
    }
}
