//! Human output: colour only on a terminal without `NO_COLOR`, aligned tables, previews.

use serde_json::Value;
use std::io::IsTerminal;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Whether to colour stdout.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            on: !no_color && std::io::stdout().is_terminal(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.on && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    /// Bold.
    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    /// Dim (times, secondary details).
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    /// Green (success).
    pub fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    /// Red (failure).
    pub fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    /// Yellow (warnings, pending).
    pub fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    /// Cyan (incoming).
    pub fn cyan(&self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// How a cell is coloured once padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// As is.
    Plain,
    /// Bold.
    Bold,
    /// Dim.
    Dim,
    /// Green.
    Green,
    /// Red.
    Red,
    /// Yellow.
    Yellow,
    /// Cyan.
    Cyan,
}

/// A table whose columns are as wide as their widest cell (display width, so accents
/// and emoji line up). Colour is applied after padding, so escape codes never skew it.
#[derive(Debug, Default)]
pub struct Table {
    header: Option<Vec<String>>,
    rows: Vec<Vec<(String, Tone)>>,
}

impl Table {
    /// A table with a header row.
    pub fn with_header(header: &[&str]) -> Self {
        Table {
            header: Some(header.iter().map(|s| s.to_string()).collect()),
            rows: Vec::new(),
        }
    }
    /// A table without a header.
    pub fn new() -> Self {
        Table::default()
    }
    /// Adds a row.
    pub fn row(&mut self, cells: Vec<(String, Tone)>) {
        self.rows.push(cells);
    }
    /// Renders it, two spaces between columns, no trailing spaces.
    pub fn render(&self, style: Style) -> String {
        let header = self.header.as_ref().map(|h| {
            h.iter()
                .map(|c| (c.clone(), Tone::Bold))
                .collect::<Vec<_>>()
        });
        let all: Vec<&Vec<(String, Tone)>> = header.iter().chain(self.rows.iter()).collect();
        let columns = all.iter().map(|r| r.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                all.iter()
                    .filter_map(|r| r.get(i))
                    .map(|(c, _)| c.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in all {
            let mut line = String::new();
            for (i, (cell, tone)) in row.iter().enumerate() {
                let last = i + 1 == row.len();
                let pad = if last {
                    0
                } else {
                    widths[i].saturating_sub(cell.width())
                };
                line.push_str(&paint(style, *tone, cell));
                if !last {
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Colours `text` in `tone`.
pub fn paint(style: Style, tone: Tone, text: &str) -> String {
    match tone {
        Tone::Plain => text.to_string(),
        Tone::Bold => style.bold(text),
        Tone::Dim => style.dim(text),
        Tone::Green => style.green(text),
        Tone::Red => style.red(text),
        Tone::Yellow => style.yellow(text),
        Tone::Cyan => style.cyan(text),
    }
}

/// A cell.
pub fn cell(text: impl Into<String>, tone: Tone) -> (String, Tone) {
    (text.into(), tone)
}

/// Line breaks and other control characters as spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// At most `max` display columns, on one line, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let one_line = one_line(text);
    if one_line.width() <= max {
        return one_line;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in one_line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// A size as people read it: `812 B`, `48 KB`, `3.2 MB`.
pub fn human_size(n: u64) -> String {
    const KB: u64 = 1024;
    match n {
        n if n < KB => format!("{n} B"),
        n if n < KB * KB => format!("{} KB", (n + KB / 2) / KB),
        n => format!("{:.1} MB", n as f64 / (KB * KB) as f64),
    }
}

/// What a message's content says, in words: its text, else `[kind]` and any caption;
/// a file with its size (`[image 48 KB] caption`).
pub fn describe(content: &Value) -> String {
    let kind = content.get("kind").and_then(Value::as_str).unwrap_or("");
    let text = content.get("text").and_then(Value::as_str).unwrap_or("");
    let data = content.get("data");
    match kind {
        "text" | "" => text.to_string(),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let file = content.get("file");
            let size = file.and_then(|f| f.get("size")).and_then(Value::as_u64);
            let what = match (file.and_then(|f| f.get("error")), size) {
                (Some(_), _) => format!("{kind}, not kept"),
                (None, Some(n)) if n > 0 => format!("{kind} {}", human_size(n)),
                _ => kind.to_string(),
            };
            // The server describes a file part without caption as "[kind]".
            let caption = if text.starts_with('[') { "" } else { text };
            let name = file
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .filter(|_| caption.is_empty());
            match (caption, name) {
                ("", Some(n)) => format!("[{what}] {n}"),
                ("", None) => format!("[{what}]"),
                (c, _) => format!("[{what}] {c}"),
            }
        }
        "template" => {
            let name = data
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            let values: Vec<&str> = data
                .and_then(|d| d.get("components"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("parameters").and_then(Value::as_array))
                .flatten()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            // The server may already describe the template as "[template name]".
            let shown = if text.is_empty() || text.starts_with("[template") {
                values.join(", ")
            } else {
                text.to_string()
            };
            if shown.is_empty() {
                format!("[template {name}]")
            } else {
                format!("[template {name}] {shown}")
            }
        }
        "reaction" => format!("[reaction {text}]"),
        other if text.is_empty() => format!("[{other}]"),
        other => format!("[{other}] {text}"),
    }
}

/// `+digits`, the way numbers are shown.
pub fn plus(phone: &str) -> String {
    // A customer who shares no phone number is shown by their BSUID, as is.
    if phone.starts_with(|c: char| c.is_ascii_digit()) {
        format!("+{phone}")
    } else {
        phone.to_string()
    }
}

/// A contact's label: its name, else its number.
pub fn contact_label(name: Option<&str>, phone: &str) -> String {
    match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => n.to_string(),
        None => plus(phone),
    }
}

/// A customer's BSUID as typed (`MX.1234567890123456789`), else the digits of a
/// phone-like argument when it is one (≥ 7 digits once `+`, spaces and
/// dashes are removed), else `None` (it is a name).
pub fn as_phone(arg: &str) -> Option<String> {
    if let Ok(user) = wakit_core::UserId::parse(arg) {
        return Some(user.to_string());
    }
    let digits: String = arg
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-'))
        .collect();
    (digits.len() >= 7 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_on_display_width() {
        let mut t = Table::with_header(&["NAME", "LANG"]);
        t.row(vec![cell("Lucía", Tone::Plain), cell("es", Tone::Plain)]);
        t.row(vec![
            cell("hello_world", Tone::Plain),
            cell("en_US", Tone::Plain),
        ]);
        let out = t.render(Style { on: false });
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "NAME         LANG");
        assert_eq!(lines[1], "Lucía        es");
        assert_eq!(lines[2], "hello_world  en_US");
    }

    #[test]
    fn colour_is_applied_after_padding() {
        let mut t = Table::new();
        t.row(vec![cell("a", Tone::Green), cell("b", Tone::Plain)]);
        t.row(vec![cell("abc", Tone::Plain), cell("d", Tone::Plain)]);
        let out = t.render(Style { on: true });
        assert!(out.starts_with("\x1b[32ma\x1b[0m    b\n"), "{out:?}");
    }

    #[test]
    fn truncates_to_width_with_an_ellipsis() {
        assert_eq!(truncate("hola", 60), "hola");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("line\nbreak", 60), "line break");
    }

    #[test]
    fn phones_and_names() {
        assert_eq!(
            as_phone("+52 1-55 1234"),
            Some("52155 1234".replace(' ', ""))
        );
        assert_eq!(as_phone("123456"), None);
        assert_eq!(as_phone("maria"), None);
        assert_eq!(as_phone("Maria 5215551234567"), None);
    }

    #[test]
    fn describes_content() {
        assert_eq!(describe(&json!({"kind":"text","text":"hi"})), "hi");
        assert_eq!(
            describe(&json!({"kind":"image","text":"cap"})),
            "[image] cap"
        );
        let photo = json!({"kind":"image","text":"mi recibo","file":{"size":49152}});
        assert_eq!(describe(&photo), "[image 48 KB] mi recibo");
        let pdf = json!({"kind":"document","text":"[document]","file":{"size":3_355_443,"name":"factura.pdf"}});
        assert_eq!(describe(&pdf), "[document 3.2 MB] factura.pdf");
        let gone = json!({"kind":"audio","text":"[audio]","file":{"size":0,"error":"expired"}});
        assert_eq!(describe(&gone), "[audio, not kept]");
        assert_eq!(human_size(812), "812 B");
        assert_eq!(
            describe(&json!({"kind":"template","data":{"name":"hello_world"}})),
            "[template hello_world]"
        );
        let template = json!({"kind":"template","text":"[template order_update]",
            "data":{"name":"order_update","components":[{"type":"body","parameters":[
                {"type":"text","parameter_name":"name","text":"Ana"},{"type":"text","text":"B-2"}]}]}});
        assert_eq!(describe(&template), "[template order_update] Ana, B-2");
    }
}
