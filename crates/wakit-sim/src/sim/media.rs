//! Driving the sandbox's media: what it holds, and the faults Meta's media side shows
//! (a file whose bytes do not match its SHA-256, downloads that fail for a while, ids
//! that expire).

use axum::body::Bytes;

use super::SimHandle;
use crate::error::SimError;

/// One file the sandbox holds (a customer's media or an upload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimMedia {
    /// Meta's media id.
    pub id: String,
    /// The number it belongs to.
    pub phone_number_id: String,
    /// MIME type.
    pub mime_type: String,
    /// Hex SHA-256 announced by `GET /{media-id}`.
    pub sha256: String,
    /// The bytes served.
    pub bytes: Bytes,
}

impl SimHandle {
    /// Every file the sandbox holds, in no particular order.
    pub fn media(&self) -> Vec<SimMedia> {
        self.core
            .state()
            .media
            .values()
            .map(|m| SimMedia {
                id: m.id.clone(),
                phone_number_id: m.phone_number_id.clone(),
                mime_type: m.mime_type.clone(),
                sha256: m.sha256.clone(),
                bytes: m.bytes.clone(),
            })
            .collect()
    }

    /// Changes the bytes of media `id` without changing its announced SHA-256.
    pub fn corrupt_media(&self, id: &str) -> Result<(), SimError> {
        let mut st = self.core.state();
        let m = st
            .media
            .get_mut(id)
            .ok_or_else(|| SimError::Invalid(format!("no media {id}")))?;
        let mut bytes = m.bytes.to_vec();
        if let Some(b) = bytes.last_mut() {
            *b ^= 0xFF;
        }
        m.bytes = bytes.into();
        Ok(())
    }

    /// Forgets media `id`, as Meta does 30 days after it was sent: `GET /{media-id}`
    /// answers that the object does not exist.
    pub fn expire_media(&self, id: &str) {
        let mut st = self.core.state();
        st.media.remove(id);
        st.media_urls.retain(|_, (m, _)| m != id);
    }

    /// The next `n` file downloads answer 500 (Meta's code 2, temporarily unavailable).
    pub fn fail_media_downloads(&self, n: u32) {
        self.core.state().failing_downloads = n;
    }

    /// The next `n` file downloads send half the file and then nothing more (for 10
    /// minutes), as a connection that dies mid-download.
    pub fn stall_media_downloads(&self, n: u32) {
        self.core.state().stalling_downloads = n;
    }

    /// Downloads that stalled half-way so far.
    pub fn stalled_media_downloads(&self) -> u64 {
        self.core.state().stalled_downloads
    }

    /// File downloads served so far (failed ones not counted).
    pub fn media_downloads(&self) -> u64 {
        self.core.state().media_downloads
    }
}
