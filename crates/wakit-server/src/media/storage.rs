//! Where media bytes live: the local filesystem (`$WAKIT_DATA_DIR/media`) or any
//! S3-compatible store (`WAKIT_MEDIA_URL=s3://bucket/prefix` with the usual `AWS_*`
//! variables, `AWS_ENDPOINT_URL` for a non-AWS server), through `object_store`.
//!
//! Keys are content-addressed within an organization: `<org>/<sha256[0..2]>/<sha256>`,
//! so the same file kept twice by one org is stored once, and no org's key can name
//! another's bytes. Writes stream: a file larger than one part goes up in parts to a
//! temporary key while it is hashed, then moves to its content address.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
pub use object_store::aws::AmazonS3Builder as S3Builder;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResult, ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use wakit_core::OrgId;

/// Size of one part of a streamed write to S3 (its minimum part size); files up to one
/// part are written with one request, straight to their content address.
pub const S3_PART: usize = 5 * 1024 * 1024;
/// Size of one part of a streamed write to the local disk, which takes parts of any
/// size: small, so an upload holds little memory (one part filling, one being written).
pub const LOCAL_PART: usize = 256 * 1024;

/// What a write stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The key the bytes are under.
    pub key: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl Stored {
    /// The `media` row of these bytes.
    pub fn record(
        self,
        mime_type: String,
        filename: Option<String>,
        message_id: Option<wakit_core::MessageId>,
    ) -> wakit_store::NewMedia {
        wakit_store::NewMedia {
            sha256: self.sha256,
            size: self.size,
            mime_type,
            filename,
            storage_key: self.key,
            message_id,
        }
    }
}

/// Why a write stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    /// The stream yielded more than the limit.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The source failed while it was read.
    #[error("reading the file failed: {0}")]
    Source(String),
    /// The stream yielded nothing.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not the ones expected.
    #[error("the file's sha256 is {got}, not {expected}")]
    Mismatch {
        /// The SHA-256 the caller expected.
        expected: String,
        /// The SHA-256 of the bytes received.
        got: String,
    },
    /// The storage failed.
    #[error("media storage: {0}")]
    Storage(#[from] object_store::Error),
}

/// The media storage. Cheap to clone.
#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
    prefix: Option<String>,
    location: String,
    /// The directory of a local storage.
    local_dir: Option<std::path::PathBuf>,
    /// Bytes of one part of a streamed write.
    part: usize,
}

impl std::fmt::Debug for MediaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.location)
    }
}

impl MediaStorage {
    /// Files under the local directory `dir` (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<MediaStorage, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the media directory {}: {e}", dir.display()))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("cannot use the media directory {}: {e}", dir.display()))?;
        Ok(MediaStorage {
            store: Arc::new(store),
            prefix: None,
            location: dir.display().to_string(),
            local_dir: Some(dir.to_path_buf()),
            part: LOCAL_PART,
        })
    }

    /// The storage `WAKIT_MEDIA_URL` names: `s3://bucket[/prefix]` (credentials, region
    /// and endpoint from the `AWS_*` variables), or a local path / `file://` URL.
    pub fn from_url(url: &str) -> Result<MediaStorage, String> {
        if url.starts_with("s3://") {
            return MediaStorage::s3(url, AmazonS3Builder::from_env(), &[]);
        }
        let path = url.strip_prefix("file://").unwrap_or(url);
        if path.contains("://") {
            return Err(format!(
                "WAKIT_MEDIA_URL must be s3://bucket/prefix or a local directory, not {url}"
            ));
        }
        MediaStorage::local(std::path::Path::new(path))
    }

    /// `s3://bucket[/prefix]` with `builder`'s settings and `options` (object_store's
    /// S3 keys: `aws_endpoint`, `aws_access_key_id`, `aws_region`, `aws_allow_http`, ...).
    pub fn s3(
        url: &str,
        builder: AmazonS3Builder,
        options: &[(&str, &str)],
    ) -> Result<MediaStorage, String> {
        let rest = url.strip_prefix("s3://").unwrap_or(url);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("WAKIT_MEDIA_URL must name a bucket: s3://bucket/prefix".into());
        }
        let mut builder = builder.with_bucket_name(bucket);
        for (key, value) in options {
            let key = key
                .parse::<AmazonS3ConfigKey>()
                .map_err(|e| format!("S3 option {key}: {e}"))?;
            builder = builder.with_config(key, *value);
        }
        let store = builder
            .build()
            .map_err(|e| format!("WAKIT_MEDIA_URL {url}: {e}"))?;
        let prefix = prefix.trim_matches('/');
        Ok(MediaStorage {
            store: Arc::new(store),
            prefix: (!prefix.is_empty()).then(|| prefix.to_string()),
            location: url.to_string(),
            local_dir: None,
            part: S3_PART,
        })
    }

    /// Where the files are, for logs.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The key of `org`'s file with this hex SHA-256.
    pub fn key(org: OrgId, sha256: &str) -> String {
        format!("{org}/{}/{sha256}", sha256.get(..2).unwrap_or("00"))
    }

    fn path(&self, key: &str) -> Path {
        match &self.prefix {
            Some(p) => Path::from(format!("{p}/{key}")),
            None => Path::from(key),
        }
    }

    /// Stores what `source` yields as `org`'s file, at most `limit` bytes and, when
    /// `expect` is given, only if its hex SHA-256 is that: memory holds one part at a
    /// time whatever the size. Nothing is kept when it fails.
    pub async fn put_stream<S, E>(
        &self,
        org: OrgId,
        source: S,
        limit: u64,
        expect: Option<&str>,
    ) -> Result<Stored, PutError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut source = source;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut first = Vec::new();
        let mut upload: Option<(Path, WriteMultipart)> = None;
        let result: Result<(), PutError> = async {
            while let Some(chunk) = source.next().await {
                let chunk = chunk.map_err(|e| PutError::Source(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(PutError::TooLarge(limit));
                }
                hasher.update(&chunk);
                match &mut upload {
                    Some((_, w)) => {
                        w.wait_for_capacity(1).await?;
                        w.write(&chunk);
                    }
                    None if first.len() + chunk.len() <= self.part => {
                        first.extend_from_slice(&chunk)
                    }
                    None => {
                        let tmp = self.path(&format!("tmp/{}", uuid::Uuid::new_v4()));
                        let mut w = WriteMultipart::new_with_chunk_size(
                            self.store.put_multipart(&tmp).await?,
                            self.part,
                        );
                        w.write(&std::mem::take(&mut first));
                        w.write(&chunk);
                        upload = Some((tmp, w));
                    }
                }
            }
            Ok(())
        }
        .await;
        let sha256 = hex::encode(hasher.finalize());
        let key = Self::key(org, &sha256);
        let target = self.path(&key);
        let result = result.and_then(|()| match expect {
            _ if size == 0 => Err(PutError::Empty),
            Some(e) if !e.eq_ignore_ascii_case(&sha256) => Err(PutError::Mismatch {
                expected: e.to_string(),
                got: sha256.clone(),
            }),
            _ => Ok(()),
        });
        match (result, upload) {
            (Err(e), Some((tmp, w))) => {
                // Finished parts of a complete stream are in `tmp`: remove them too.
                if matches!(e, PutError::Mismatch { .. }) {
                    if w.finish().await.is_ok() {
                        let _ = self.store.delete(&tmp).await;
                    }
                } else {
                    let _ = w.abort().await;
                }
                Err(e)
            }
            (Err(e), None) => Err(e),
            (Ok(()), None) => {
                // Written even when the bytes are there: a fresh write tells the media
                // retention that a row naming them is about to be recorded.
                self.store
                    .put(&target, PutPayload::from(Bytes::from(first)))
                    .await?;
                Ok(Stored { key, sha256, size })
            }
            (Ok(()), Some((tmp, w))) => {
                w.finish().await?;
                self.store.rename(&tmp, &target).await?;
                Ok(Stored { key, sha256, size })
            }
        }
    }

    /// Deletes the file under `key` unless it was written within `fresh` (a write of the
    /// same bytes whose row is about to be recorded); says whether it deleted it.
    pub async fn delete_unless_fresh(
        &self,
        key: &str,
        fresh: std::time::Duration,
    ) -> Result<bool, object_store::Error> {
        let path = self.path(key);
        let written = match self.store.head(&path).await {
            Ok(meta) => meta.last_modified,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let age = chrono::Utc::now() - written;
        if age.to_std().is_ok_and(|age| age < fresh) || age < chrono::Duration::zero() {
            return Ok(false);
        }
        self.delete(key).await.map(|()| true)
    }

    /// Removes what writes cut short left in the local `tmp/` directory (a process killed
    /// mid-write leaves its finished parts there) once older than `age`; returns how many
    /// files it removed. An S3 store keeps such parts as incomplete multipart uploads,
    /// which the bucket's `AbortIncompleteMultipartUpload` lifecycle rule removes.
    pub async fn sweep_tmp(&self, age: std::time::Duration) -> std::io::Result<u64> {
        let Some(dir) = &self.local_dir else {
            return Ok(0);
        };
        let tmp = dir.join("tmp");
        tokio::task::spawn_blocking(move || {
            let entries = match std::fs::read_dir(&tmp) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                entries => entries?,
            };
            let mut removed = 0;
            for entry in entries {
                let entry = entry?;
                let meta = entry.metadata()?;
                let old = meta.modified()?.elapsed().is_ok_and(|e| e >= age);
                if meta.is_file() && old {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// The organizations that have files here (the first segment of every key).
    pub async fn orgs(&self) -> Result<Vec<OrgId>, object_store::Error> {
        let listing = self
            .store
            .list_with_delimiter(self.prefix_path().as_ref())
            .await?;
        Ok(listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename()?.parse().ok())
            .collect())
    }

    /// Deletes every file of `org`; returns how many.
    pub async fn delete_org(&self, org: OrgId) -> Result<u64, object_store::Error> {
        let dir = self.path(&org.to_string());
        let mut files = self.store.list(Some(&dir));
        let mut deleted = 0;
        while let Some(meta) = files.next().await {
            match self.store.delete(&meta?.location).await {
                Ok(()) => deleted += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(local) = &self.local_dir {
            // The emptied directories, which a listing would still show.
            match std::fs::remove_dir_all(local.join(org.to_string())) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(%org, error = %e, "media: an emptied directory stays")
                }
                _ => {}
            }
        }
        Ok(deleted)
    }

    fn prefix_path(&self) -> Option<Path> {
        self.prefix.as_deref().map(Path::from)
    }

    /// The file under `key`, whole or the byte `range`.
    pub async fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<GetResult, object_store::Error> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        self.store.get_opts(&self.path(key), options).await
    }

    /// Deletes the file under `key` (nothing if it is gone).
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[tokio::test]
    async fn the_sweep_removes_only_old_parts_of_local_writes() {
        let dir = tempfile::tempdir().expect("dir");
        let storage = MediaStorage::local(dir.path()).expect("storage");
        assert_eq!(storage.sweep_tmp(Duration::ZERO).await.expect("no tmp/"), 0);
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        let (old, fresh) = (tmp.join("cut-short#1"), tmp.join("in-progress#1"));
        std::fs::write(&old, b"part").expect("old");
        std::fs::write(&fresh, b"part").expect("fresh");
        let hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
        let file = std::fs::File::options()
            .write(true)
            .open(&old)
            .expect("open");
        file.set_modified(hours_ago).expect("mtime");
        let kept = dir.path().join("kept");
        std::fs::write(&kept, b"a stored file").expect("kept");

        let removed = storage.sweep_tmp(Duration::from_secs(3600)).await;
        assert_eq!(removed.expect("swept"), 1);
        assert!(!old.exists() && fresh.exists() && kept.exists());
    }
}
