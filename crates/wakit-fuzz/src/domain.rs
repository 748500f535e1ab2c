//! wakit-core's parsers: phones, BSUIDs, contact references, senders, template
//! parameters, search text.
//!
//! Properties: never a panic; a parsed phone is 8–15 digits without a leading 0 and its
//! key is 8–15 digits and a fixed point (`parse(key).key() == key`); BSUIDs and contact
//! references round-trip through `as_str`; a send built from a template's own spec
//! passes its check; `number_pattern` is digits exactly when the input has digits.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};
use wakit_core::template::ParamSpec;
use wakit_core::text::{escape_like, fold, number_pattern};
use wakit_core::{CustomerRef, Phone, Sender, UserId};

use crate::{Target, r#gen};

/// Phone-like text: digits (country codes 52/54/55 included) with separators, or noise.
pub fn phone_text(rng: &mut StdRng) -> String {
    let mut s = String::new();
    if rng.gen_bool(0.5) {
        s.push('+');
    }
    s.push_str(
        ["", "52", "521", "54", "549", "55", "1", "0"]
            .choose(rng)
            .unwrap_or(&""),
    );
    for _ in 0..rng.gen_range(0..5) {
        s.push_str(&r#gen::digits(rng, 0, 5));
        s.push_str([" ", "-", ".", "(", ")", ""].choose(rng).unwrap_or(&""));
    }
    if rng.gen_bool(0.2) {
        s.push_str(&r#gen::text(rng, 3));
    }
    s
}

/// BSUID-like text: a country code, a dot, letters and digits, or a near miss.
pub fn user_id_text(rng: &mut StdRng) -> String {
    let cc = ["US", "BR", "MX", "us", "U", "USA", "Dr", "", "ÜS"]
        .choose(rng)
        .unwrap_or(&"US");
    let sep = [".", ".", ".", "", ",", ". "].choose(rng).unwrap_or(&".");
    let mut tail = r#gen::digits(rng, 0, 40);
    if rng.gen_bool(0.3) {
        tail.push_str(&r#gen::text(rng, 3));
    }
    if rng.gen_bool(0.1) {
        tail = tail.repeat(5);
    }
    format!("{cc}{sep}{tail}")
}

/// Text for a customer reference: phone-like, BSUID-like or noise.
fn reference_text(rng: &mut StdRng) -> String {
    match rng.gen_range(0..3) {
        0 => phone_text(rng),
        1 => user_id_text(rng),
        _ => r#gen::text(rng, 20),
    }
}

fn check_phone(p: &Phone) -> Result<(), String> {
    let d = p.digits();
    let key = p.key();
    let digits_ok = |s: &str| (8..=15).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(d) || d.starts_with('0') {
        return Err(format!("parsed phone digits {d:?}"));
    }
    if !digits_ok(&key) {
        return Err(format!("phone key {key:?}"));
    }
    let again = Phone::parse(&key).map_err(|e| format!("key {key:?} does not parse: {e}"))?;
    if again.key() != key || Phone::parse(d).ok().as_ref() != Some(p) || !p.same_person(&again) {
        return Err(format!("key of {d:?} is not a fixed point"));
    }
    Ok(())
}

/// [`Phone::parse`].
pub struct PhoneTarget;

impl Target for PhoneTarget {
    type Input = String;
    fn name(&self) -> &'static str {
        "phone"
    }
    fn generate(&mut self, rng: &mut StdRng) -> String {
        if rng.gen_bool(0.8) {
            phone_text(rng)
        } else {
            r#gen::text(rng, 20)
        }
    }
    fn check(&mut self, input: &String) -> Result<String, String> {
        match Phone::parse(input) {
            Ok(p) => check_phone(&p).map(|()| "ok".into()),
            Err(e) => Ok(format!("{e:?}")
                .split('(')
                .next()
                .unwrap_or("err")
                .to_string()),
        }
    }
}

/// [`UserId::parse`].
pub struct UserIdTarget;

impl Target for UserIdTarget {
    type Input = String;
    fn name(&self) -> &'static str {
        "user-id"
    }
    fn generate(&mut self, rng: &mut StdRng) -> String {
        if rng.gen_bool(0.8) {
            user_id_text(rng)
        } else {
            r#gen::text(rng, 20)
        }
    }
    fn check(&mut self, input: &String) -> Result<String, String> {
        let Ok(u) = UserId::parse(input) else {
            return Ok("refused".into());
        };
        if u.as_str() != input.trim() || UserId::parse(u.as_str()).as_ref() != Ok(&u) {
            return Err(format!("{:?} does not round-trip", u.as_str()));
        }
        Ok("ok".into())
    }
}

/// [`CustomerRef::parse`].
pub struct CustomerRefTarget;

impl Target for CustomerRefTarget {
    type Input = String;
    fn name(&self) -> &'static str {
        "customer-ref"
    }
    fn generate(&mut self, rng: &mut StdRng) -> String {
        reference_text(rng)
    }
    fn check(&mut self, input: &String) -> Result<String, String> {
        let Ok(c) = CustomerRef::parse(input) else {
            return Ok("refused".into());
        };
        if CustomerRef::parse(c.as_str()).as_ref() != Ok(&c) || c.key().is_empty() {
            return Err(format!("{:?} does not round-trip", c.as_str()));
        }
        if let CustomerRef::Phone(p) = &c {
            check_phone(p)?;
        }
        let sender = Sender::from(c.clone());
        if sender.address() != c.as_str() || sender.key() != c.key() {
            return Err("the sender of a reference names someone else".into());
        }
        Ok(match c {
            CustomerRef::Phone(_) => "phone".into(),
            CustomerRef::UserId(_) => "user-id".into(),
        })
    }
}

/// [`Sender::parse`] on Meta's four fields.
pub struct SenderTarget;

impl Target for SenderTarget {
    type Input = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    fn name(&self) -> &'static str {
        "sender"
    }
    fn generate(&mut self, rng: &mut StdRng) -> Self::Input {
        let mut maybe = |f: fn(&mut StdRng) -> String| rng.gen_bool(0.6).then(|| f(rng));
        (
            maybe(phone_text),
            maybe(user_id_text),
            maybe(user_id_text),
            maybe(|rng| r#gen::text(rng, 30)),
        )
    }
    fn check(&mut self, (phone, user, parent, name): &Self::Input) -> Result<String, String> {
        let parsed = Sender::parse(
            phone.as_deref(),
            user.as_deref(),
            parent.as_deref(),
            name.as_deref(),
        );
        let Ok(s) = parsed else {
            return Ok("refused".into());
        };
        if s.key().is_empty() || s.address().is_empty() {
            return Err("a sender without a key or address".into());
        }
        if let Some(u) = &s.username
            && (u.trim() != u || u.is_empty() || u.chars().count() > 64)
        {
            return Err(format!("username {u:?} kept"));
        }
        Ok(format!(
            "phone={} user={}",
            s.phone.is_some(),
            s.user_id.is_some()
        ))
    }
}

/// Template text with placeholders, near misses and noise.
fn template_text(rng: &mut StdRng) -> String {
    (0..rng.gen_range(0..6))
        .map(|_| match rng.gen_range(0..6) {
            0 => format!("{{{{{}}}}}", rng.gen_range(1..5)),
            1 => format!(
                "{{{{{}}}}}",
                ["name", "first_name", " 1 ", "", "a-b", "é"]
                    .choose(rng)
                    .unwrap_or(&"")
            ),
            2 => "{{".to_string(),
            3 => "}}".to_string(),
            _ => r#gen::text(rng, 4),
        })
        .collect()
}

/// One of `words`.
fn pick(rng: &mut StdRng, words: &[&'static str]) -> &'static str {
    words.choose(rng).copied().unwrap_or_default()
}

/// A template definition's components: header, body, buttons, or noise.
fn definition(rng: &mut StdRng) -> Value {
    if rng.gen_bool(0.1) {
        return r#gen::value(rng, 3);
    }
    let mut components = Vec::new();
    for _ in 0..rng.gen_range(0..4) {
        let c = match rng.gen_range(0..4) {
            0 => {
                let format = pick(rng, &["TEXT", "IMAGE", "", "document"]);
                json!({"type": "HEADER", "format": format, "text": template_text(rng)})
            }
            1 => json!({"type": pick(rng, &["BODY", "body", "Body"]), "text": template_text(rng)}),
            2 => {
                let buttons: Vec<Value> = (0..rng.gen_range(0..4))
                    .map(|_| {
                        let kind = pick(rng, &["URL", "COPY_CODE", "QUICK_REPLY", "otp", "FLOW"]);
                        json!({"type": kind, "url": template_text(rng)})
                    })
                    .collect();
                json!({"type": "BUTTONS", "buttons": buttons})
            }
            _ => r#gen::value(rng, 2),
        };
        components.push(c);
    }
    Value::Array(components)
}

/// The send components that fit `spec` exactly.
fn fitting_send(spec: &ParamSpec) -> Value {
    let params = |n: usize| vec![json!({"type": "text", "text": "x"}); n];
    let mut out = Vec::new();
    if spec.header > 0 {
        out.push(json!({"type": "header", "parameters": params(spec.header)}));
    }
    if spec.body > 0 {
        let body: Vec<Value> = if spec.is_named() {
            spec.body_names
                .iter()
                .map(|n| json!({"type": "text", "text": "x", "parameter_name": n}))
                .collect()
        } else {
            params(spec.body)
        };
        out.push(json!({"type": "body", "parameters": body}));
    }
    for (i, n) in &spec.buttons {
        out.push(json!({"type": "button", "sub_type": "url", "index": i.to_string(), "parameters": params(*n)}));
    }
    Value::Array(out)
}

/// [`ParamSpec::from_definition`] and [`ParamSpec::check`].
pub struct TemplateTarget;

impl Target for TemplateTarget {
    /// The definition, a send (`None`: the send built from the definition's spec).
    type Input = (Value, Option<Value>);
    fn name(&self) -> &'static str {
        "template"
    }
    fn generate(&mut self, rng: &mut StdRng) -> Self::Input {
        let def = definition(rng);
        let send = match rng.gen_range(0..3) {
            0 => None,
            1 => {
                let mut s = fitting_send(&ParamSpec::from_definition(&def));
                let rounds = rng.gen_range(1..4);
                r#gen::mutate(rng, &mut s, rounds);
                Some(s)
            }
            _ => Some(r#gen::value(rng, 3)),
        };
        (def, send)
    }
    fn check(&mut self, (def, send): &Self::Input) -> Result<String, String> {
        let spec = ParamSpec::from_definition(def);
        match send {
            None => spec
                .check(&fitting_send(&spec))
                .map(|()| "fitting-ok".into())
                .map_err(|e| format!("a send built from the spec is refused: {e}")),
            Some(s) => Ok(match spec.check(s) {
                Ok(()) => "ok".into(),
                Err(e) => format!("{e:?}")
                    .split([' ', '{', '('])
                    .next()
                    .unwrap_or("err")
                    .to_string(),
            }),
        }
    }
}

/// [`fold`], [`escape_like`] and [`number_pattern`].
pub struct TextTarget;

impl Target for TextTarget {
    type Input = String;
    fn name(&self) -> &'static str {
        "text"
    }
    fn generate(&mut self, rng: &mut StdRng) -> String {
        reference_text(rng)
    }
    fn check(&mut self, input: &String) -> Result<String, String> {
        let _ = fold(input);
        let escaped = escape_like(input);
        let mut unescaped = String::new();
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            unescaped.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        if unescaped != *input {
            return Err("escape_like does not round-trip".into());
        }
        let has_digits = input.chars().any(|c| c.is_ascii_digit());
        match number_pattern(input) {
            Some(p) if has_digits && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                Ok("pattern".into())
            }
            None if !has_digits => Ok("no-digits".into()),
            other => Err(format!("number_pattern gave {other:?}")),
        }
    }
}
