//! Media on the Graph API (reference §6): `GET /{media-id}` for a short-lived download
//! URL with the file's MIME type, SHA-256 and size, then the bearer-protected download.

use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::client::{GraphClient, transport};
use crate::errors::MetaError;

/// Longest a media download may take, whole (a 100 MB document on a slow link).
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// What `GET /{media-id}` says about a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaInfo {
    /// The download URL (valid minutes; needs the bearer token).
    pub url: String,
    /// MIME type.
    pub mime_type: String,
    /// Hex SHA-256 of the bytes, when Meta gives it.
    pub sha256: Option<String>,
    /// Size in bytes, when Meta gives it.
    pub file_size: Option<u64>,
}

impl GraphClient {
    /// `GET /{media_id}`: where to download the file and what it must be.
    pub async fn media_info(&self, media_id: &str, token: &str) -> Result<MediaInfo, MetaError> {
        let url = self.url(media_id);
        let v = self.call(self.request(Method::GET, &url, token)).await?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let url = text("url")
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .ok_or_else(|| MetaError::unexpected(200, "media answer without a download url"))?;
        Ok(MediaInfo {
            url,
            mime_type: text("mime_type").unwrap_or_default(),
            sha256: text("sha256").map(|s| s.to_ascii_lowercase()),
            file_size: v.get("file_size").and_then(|s| {
                s.as_u64()
                    .or_else(|| s.as_str().and_then(|s| s.parse().ok()))
            }),
        })
    }

    /// Starts the download of `url` (from [`GraphClient::media_info`]) with the bearer
    /// token; the caller reads the body in chunks (`Response::chunk`).
    pub async fn download(&self, url: &str, token: &str) -> Result<reqwest::Response, MetaError> {
        let resp = self
            .request(Method::GET, url, token)
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|e| MetaError::network(transport(e)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let body = resp.bytes().await.unwrap_or_default();
        Err(MetaError::from_response(status, None, &body))
    }
}

/// What WhatsApp accepts of a MIME type (reference §6): the message kind that carries it
/// and the largest file, in bytes. `None`: WhatsApp takes no file of this type.
pub fn media_limit(mime: &str) -> Option<(&'static str, u64)> {
    const MB: u64 = 1024 * 1024;
    let base = mime.split(';').next().unwrap_or_default().trim();
    Some(match base.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/png" => ("image", 5 * MB),
        // Stickers: 100 KB static, 500 KB animated; the larger bound here.
        "image/webp" => ("sticker", 500 * 1024),
        "video/mp4" | "video/3gpp" => ("video", 16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" | "audio/opus" => {
            ("audio", 16 * MB)
        }
        "text/plain"
        | "application/pdf"
        | "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            ("document", 100 * MB)
        }
        _ => return None,
    })
}

/// The MIME type the first bytes of a file show, for the types WhatsApp takes.
pub fn sniff_mime(head: &[u8]) -> Option<&'static str> {
    let at = |i: usize, sig: &[u8]| head.get(i..i + sig.len()) == Some(sig);
    Some(match () {
        _ if at(0, &[0xFF, 0xD8, 0xFF]) => "image/jpeg",
        _ if at(0, b"\x89PNG\r\n\x1a\n") => "image/png",
        _ if at(0, b"RIFF") && at(8, b"WEBP") => "image/webp",
        _ if at(0, b"%PDF-") => "application/pdf",
        _ if at(0, b"OggS") => "audio/ogg",
        _ if at(0, b"#!AMR") => "audio/amr",
        _ if at(0, b"ID3") || at(0, &[0xFF, 0xFB]) => "audio/mpeg",
        _ if at(4, b"ftyp3g") => "video/3gpp",
        _ if at(4, b"ftypM4A") => "audio/mp4",
        _ if at(4, b"ftyp") => "video/mp4",
        _ => return None,
    })
}

/// The MIME type of a file name's extension, for uploads that do not say.
pub fn mime_from_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "ogg" | "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// How long Meta keeps an uploaded media id usable (30 days), less a day of margin.
pub const UPLOADED_ID_DAYS: i64 = 29;

impl GraphClient {
    /// `POST /{phone_number_id}/media`: uploads a file of `len` bytes streamed from
    /// `file` as multipart/form-data; Meta's media id for it.
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        token: &str,
        mime: &str,
        filename: &str,
        len: u64,
        file: BoxStream<'static, Result<Bytes, std::io::Error>>,
    ) -> Result<String, MetaError> {
        let boundary = format!("wakit-{:016x}{:016x}", len, stamp());
        let name: String = filename
            .chars()
            .map(|c| if c == '"' || c.is_control() { '_' } else { c })
            .collect();
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{mime}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: {mime}\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let total = head.len() as u64 + len + tail.len() as u64;
        let body = reqwest::Body::wrap_stream(
            stream::once(async move { Ok(Bytes::from(head)) })
                .chain(file)
                .chain(stream::once(async move { Ok(Bytes::from(tail)) })),
        );
        let url = self.url(&format!("{phone_number_id}/media"));
        let req = self
            .request(Method::POST, &url, token)
            .timeout(DOWNLOAD_TIMEOUT)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(reqwest::header::CONTENT_LENGTH, total)
            .body(body);
        let v = self.call(req).await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| MetaError::unexpected(200, "upload answer without an id"))
    }
}

/// A boundary ingredient that differs between uploads.
fn stamp() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(sniff_mime(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(sniff_mime(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_mime(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff_mime(b"\0\0\0\x18ftypisom"), Some("video/mp4"));
        assert_eq!(sniff_mime(b"hola"), None);
        assert_eq!(media_limit("image/jpeg"), Some(("image", 5 * 1024 * 1024)));
        assert_eq!(mime_from_name("Factura.PDF"), Some("application/pdf"));
    }
}
