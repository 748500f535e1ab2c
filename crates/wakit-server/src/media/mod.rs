//! Media: the storage of files customers send and businesses upload, their download
//! from Meta (the `download_media` job, run by the dispatcher) and signed URLs.

pub mod download;
pub mod sign;
pub mod storage;

pub use sign::UrlSigner;
pub use storage::{MediaStorage, PutError, Stored};

/// Default largest upload or download (`WAKIT_MEDIA_MAX_BYTES`): 100 MB, Meta's largest
/// document.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// How media is kept and served.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// Where the bytes are.
    pub storage: MediaStorage,
    /// Largest file accepted (`WAKIT_MEDIA_MAX_BYTES`).
    pub max_bytes: u64,
    /// Signs the short-lived URLs of `GET /media/{id}`.
    pub signer: UrlSigner,
}

impl MediaConfig {
    /// Media under the local directory `dir`, URLs signed with `signer`.
    pub fn local(dir: &std::path::Path, signer: UrlSigner) -> Result<MediaConfig, String> {
        Ok(MediaConfig {
            storage: MediaStorage::local(dir)?,
            max_bytes: DEFAULT_MAX_BYTES,
            signer,
        })
    }
}

impl Default for MediaConfig {
    /// Files under the system's temporary directory (`wakit-media`), URLs signed with a
    /// key of this process: for tests and embedding; `wakit serve` configures its own.
    fn default() -> Self {
        let dir = std::env::temp_dir().join("wakit-media");
        MediaConfig::local(&dir, UrlSigner::ephemeral())
            .or_else(|_| {
                MediaConfig::local(std::path::Path::new("wakit-media"), UrlSigner::ephemeral())
            })
            .unwrap_or_else(|e| panic!("no media directory: {e}"))
    }
}
