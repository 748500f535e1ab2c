//! Request headers: `Prefer`, `Accept`, the profile headers and `Range`.

use crate::error::{ErrorCode, RestError};

/// `Prefer: return=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReturnPref {
    /// No body (the default for writes).
    #[default]
    Minimal,
    /// The written rows.
    Representation,
    /// Only the Location header.
    HeadersOnly,
}

/// `Prefer: resolution=` (upserts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// `merge-duplicates`.
    MergeDuplicates,
    /// `ignore-duplicates`.
    IgnoreDuplicates,
}

/// The preferences a request carries (all `Prefer` headers, split on commas).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    /// `return=`.
    pub return_: ReturnPref,
    /// `count=exact|planned|estimated`: all answered exactly.
    pub count: bool,
    /// `resolution=`.
    pub resolution: Option<Resolution>,
    /// `missing=default`.
    pub missing_default: bool,
    /// `tx=rollback`.
    pub rollback: bool,
    /// `handling=strict`.
    pub strict: bool,
    /// `max-affected=n`.
    pub max_affected: Option<u64>,
}

/// Case-insensitive header lookup over `(name, value)` pairs.
pub(crate) fn header_values<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Parses every `Prefer` header. With `handling=strict`, an unknown preference is PGRST122.
pub fn parse_prefer(headers: &[(&str, &str)]) -> Result<Preferences, RestError> {
    let mut p = Preferences::default();
    let mut invalid = Vec::new();
    for item in header_values(headers, "prefer").flat_map(|v| v.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        match (k.trim(), v.trim()) {
            ("return", "minimal") => p.return_ = ReturnPref::Minimal,
            ("return", "representation") => p.return_ = ReturnPref::Representation,
            ("return", "headers-only") => p.return_ = ReturnPref::HeadersOnly,
            ("count", "exact" | "planned" | "estimated") => p.count = true,
            ("resolution", "merge-duplicates") => p.resolution = Some(Resolution::MergeDuplicates),
            ("resolution", "ignore-duplicates") => {
                p.resolution = Some(Resolution::IgnoreDuplicates)
            }
            ("missing", "default") => p.missing_default = true,
            ("missing", "null") => p.missing_default = false,
            ("tx", "rollback") => p.rollback = true,
            ("tx", "commit") => p.rollback = false,
            ("handling", "strict") => p.strict = true,
            ("handling", "lenient") => p.strict = false,
            ("max-affected", n) if n.parse::<u64>().is_ok() => p.max_affected = n.parse().ok(),
            // Accepted and without effect here: the server applies the time zone itself.
            ("timezone", _) => {}
            _ => invalid.push(item.to_string()),
        }
    }
    if p.strict && !invalid.is_empty() {
        return Err(RestError::new(
            ErrorCode::InvalidPreferences,
            "Invalid preferences given with handling=strict",
        )
        .details(format!("Invalid preferences: {}", invalid.join(", "))));
    }
    Ok(p)
}

/// What the response body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// A JSON array (`application/json`).
    Json,
    /// One JSON object (`application/vnd.pgrst.object+json`, `.single()`).
    Object,
    /// CSV (`text/csv`, `.csv()`).
    Csv,
}

/// Picks the response media from `Accept`; PGRST107 when we produce none of them.
pub fn parse_accept(headers: &[(&str, &str)]) -> Result<Media, RestError> {
    let Some(accept) = header_values(headers, "accept").next() else {
        return Ok(Media::Json);
    };
    let mut types = Vec::new();
    for part in accept.split(',') {
        let ty = part
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match ty.as_str() {
            "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => {
                return Ok(Media::Object);
            }
            "" | "*/*" | "application/*" | "application/json" => return Ok(Media::Json),
            "text/csv" => return Ok(Media::Csv),
            _ => types.push(ty),
        }
    }
    Err(RestError::new(
        ErrorCode::NotAcceptable,
        format!(
            "None of these media types are available: {}",
            types.join(", ")
        ),
    ))
}

/// Only the `public` schema exists: another one in `Accept-Profile`/`Content-Profile`
/// is PGRST106.
pub fn check_profile(headers: &[(&str, &str)]) -> Result<(), RestError> {
    for name in ["accept-profile", "content-profile"] {
        if let Some(schema) = header_values(headers, name).next() {
            let schema = schema.trim();
            if schema != "public" {
                return Err(RestError::new(
                    ErrorCode::InvalidSchema,
                    format!("Invalid schema: {schema}"),
                )
                .hint("Only the following schemas are exposed: public"));
            }
        }
    }
    Ok(())
}

/// `Range: a-b` / `a-` (items) → (offset, limit).
pub fn parse_range(headers: &[(&str, &str)]) -> Option<(u64, Option<u64>)> {
    let range = header_values(headers, "range").next()?.trim();
    let range = range.strip_prefix("items=").unwrap_or(range);
    let (a, b) = range.split_once('-')?;
    let first: u64 = a.trim().parse().ok()?;
    let b = b.trim();
    if b.is_empty() {
        return Some((first, None));
    }
    let last: u64 = b.parse().ok()?;
    (last >= first).then(|| (first, Some(last - first + 1)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn prefer_is_split_on_commas_across_headers() {
        let h = [
            ("Prefer", "return=representation, count=exact"),
            ("prefer", "resolution=merge-duplicates,missing=default"),
        ];
        let p = parse_prefer(&h).unwrap();
        assert_eq!(p.return_, ReturnPref::Representation);
        assert!(p.count && p.missing_default);
        assert_eq!(p.resolution, Some(Resolution::MergeDuplicates));
    }

    #[test]
    fn strict_handling_rejects_unknown_preferences() {
        let lenient = [("Prefer", "return=everything")];
        assert!(parse_prefer(&lenient).is_ok());
        let strict = [(
            "Prefer",
            "handling=strict, return=everything, max-affected=5",
        )];
        let e = parse_prefer(&strict).unwrap_err();
        assert_eq!(e.code.code(), "PGRST122");
        assert_eq!(
            e.details.as_deref(),
            Some("Invalid preferences: return=everything")
        );
        let ok = [("Prefer", "handling=strict, max-affected=5")];
        assert_eq!(parse_prefer(&ok).unwrap().max_affected, Some(5));
    }

    #[test]
    fn accept_picks_object_or_array_or_refuses() {
        assert_eq!(parse_accept(&[]).unwrap(), Media::Json);
        assert_eq!(
            parse_accept(&[("Accept", "application/vnd.pgrst.object+json")]).unwrap(),
            Media::Object
        );
        assert_eq!(parse_accept(&[("accept", "*/*")]).unwrap(), Media::Json);
        assert_eq!(parse_accept(&[("Accept", "text/csv")]).unwrap(), Media::Csv);
        let e = parse_accept(&[("Accept", "application/xml")]).unwrap_err();
        assert_eq!((e.code.code(), e.status()), ("PGRST107", 406));
    }

    #[test]
    fn other_schemas_and_ranges() {
        assert!(check_profile(&[("Accept-Profile", "public")]).is_ok());
        let e = check_profile(&[("Content-Profile", "private")]).unwrap_err();
        assert_eq!((e.code.code(), e.status()), ("PGRST106", 406));
        assert_eq!(parse_range(&[("Range", "0-9")]), Some((0, Some(10))));
        assert_eq!(parse_range(&[("Range", "10-")]), Some((10, None)));
        assert_eq!(parse_range(&[("Range", "9-0")]), None);
    }
}
