//! `wakit send`: a text, a template whose body variables come from `--vars`, or a file.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use wakit_api::{ClientError, MediaRequest, SendRequest, TemplateItem};

use super::style::plus;
use super::{Ctx, SendArgs, UsageError, call, call_raw, explain, print_json, resolve};

/// `wakit send <phone|name> [text] [--template NAME --vars A,B --lang CODE]`.
pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    let ctx = Ctx::load()?;
    let phone = resolve::contact_phone(&ctx, &args.contact).await?;
    let account_phone = ctx.account(args.from.from.as_deref());
    let template = match &args.template {
        Some(name) => Some(
            template_object(
                &ctx,
                name,
                &args.lang,
                args.vars.as_deref(),
                account_phone.as_deref(),
            )
            .await?,
        ),
        None => None,
    };
    let mut request = SendRequest {
        contact_phone: Some(phone.clone()),
        text: args.text.clone(),
        template,
        account_phone,
        ..SendRequest::default()
    };
    if let Some(path) = &args.file {
        attach(&ctx, &mut request, path, args.caption.clone()).await?;
    }
    // One key per invocation: the retries below can never send twice.
    let key = uuid::Uuid::new_v4().to_string();
    let answer = match call_raw(|| ctx.client.send(&request, Some(&key))).await {
        Ok(answer) => answer,
        Err(e) => return Err(send_error(e, &phone)),
    };
    if args.out.json {
        return print_json(&answer.raw);
    }
    let s = ctx.style;
    let sent = &answer.value;
    if answer.status == 202 || sent.status == "pending" {
        println!(
            "{} Queued, still sending (id {}). Follow it with: wakit chat {}",
            s.yellow("…"),
            sent.id,
            plus(&phone)
        );
    } else {
        let wamid = sent.wamid.as_deref().unwrap_or("-");
        println!("{} Sent (id {}, wamid {wamid})", s.green("✓"), sent.id);
    }
    Ok(())
}

/// Uploads the file at `path` (`POST /media`) and names it in `request` under the kind
/// its content (else its extension) shows.
async fn attach(
    ctx: &Ctx,
    request: &mut SendRequest,
    path: &std::path::Path,
    caption: Option<String>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mime = wakit_meta::sniff_mime(&bytes)
        .or_else(|| wakit_meta::mime_from_name(&name))
        .ok_or_else(|| UsageError(format!("{name}: not a file type WhatsApp sends")))?;
    let kind = wakit_meta::media_limit(mime).map_or("document", |(k, _)| k);
    let uploaded = call(|| ctx.client.upload_media(&name, mime, bytes.clone())).await?;
    let id = uploaded.raw["id"].as_str().unwrap_or_default().to_string();
    let media = MediaRequest {
        id: Some(id),
        caption,
        filename: (kind == "document").then_some(name),
        ..MediaRequest::default()
    };
    let slot = match kind {
        "image" => &mut request.image,
        "video" => &mut request.video,
        "audio" => &mut request.audio,
        "sticker" => &mut request.sticker,
        _ => &mut request.document,
    };
    *slot = Some(media);
    Ok(())
}

/// The server's sentence, with a hint for a closed window and Meta's own words for a
/// refused send.
fn send_error(e: ClientError, phone: &str) -> anyhow::Error {
    let (code, meta) = match &e {
        ClientError::Api { body, .. } => (body.code.clone(), body.meta.clone()),
        _ => return explain(e),
    };
    let mut message = explain(e).to_string();
    if code == "service_window_closed" {
        message.push_str(&format!(
            "\nHint: outside the 24 h service window only templates can be sent, e.g.\n  \
             wakit send {} --template hello_world\n(list them with: wakit templates)",
            plus(phone)
        ));
    }
    if let Some(meta) = meta.filter(|m| !message.contains(&m.message)) {
        message.push_str(&format!("\nMeta error {}: {}", meta.code, meta.message));
    }
    anyhow::anyhow!(message)
}

/// Meta's template object for `name` in `lang`, with a body component built from `vars`
/// (named parameters when the body uses `{{name}}`, positional for `{{1}}`).
async fn template_object(
    ctx: &Ctx,
    name: &str,
    lang: &str,
    vars: Option<&str>,
    account: Option<&str>,
) -> anyhow::Result<Value> {
    let list = call(|| ctx.client.templates(account))
        .await?
        .value
        .templates;
    let item = find_template(&list, name, lang)?;
    let detail = call(|| ctx.client.template(&item.id, account)).await?.value;
    let placeholders = body_placeholders(&detail.components);
    let values = split_vars(vars);
    let parameters = parameters(name, &placeholders, &values)?;
    let mut template = json!({"name": item.name, "language": {"code": item.language}});
    if !parameters.is_empty() {
        template["components"] = json!([{"type": "body", "parameters": parameters}]);
    }
    Ok(template)
}

fn find_template<'a>(
    list: &'a [TemplateItem],
    name: &str,
    lang: &str,
) -> anyhow::Result<&'a TemplateItem> {
    let same_name: Vec<&TemplateItem> = list.iter().filter(|t| t.name == name).collect();
    if same_name.is_empty() {
        let mut names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        bail!(
            "Template \"{name}\" not found. Templates of this number: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
    }
    match same_name.iter().find(|t| t.language == lang) {
        Some(t) => Ok(t),
        None => {
            let langs: Vec<&str> = same_name.iter().map(|t| t.language.as_str()).collect();
            bail!(
                "Template \"{name}\" has no \"{lang}\" version. Available languages: {}. Use --lang <code>",
                langs.join(", ")
            )
        }
    }
}

/// A placeholder of a template's body.
#[derive(Debug, PartialEq, Eq)]
enum Placeholder {
    /// `{{1}}`.
    Positional(u32),
    /// `{{name}}`.
    Named(String),
}

/// The BODY component's placeholders, in order of first appearance.
fn body_placeholders(components: &Value) -> Vec<Placeholder> {
    let body = components.as_array().and_then(|list| {
        list.iter().find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("body"))
        })
    });
    let text = body
        .and_then(|b| b.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        let p = match inner.parse::<u32>() {
            Ok(n) => Placeholder::Positional(n),
            Err(_) => Placeholder::Named(inner.to_string()),
        };
        if !inner.is_empty() && !found.contains(&p) {
            found.push(p);
        }
        rest = &after[end + 2..];
    }
    found
}

/// `"a, b"` → `["a", "b"]`; nothing or an empty string → no values.
fn split_vars(vars: Option<&str>) -> Vec<String> {
    match vars {
        Some(v) if !v.trim().is_empty() => v.split(',').map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Body parameters: one per placeholder, named ones carrying `parameter_name`.
fn parameters(
    template: &str,
    placeholders: &[Placeholder],
    values: &[String],
) -> anyhow::Result<Vec<Value>> {
    if placeholders.len() != values.len() {
        let names: Vec<String> = placeholders
            .iter()
            .map(|p| match p {
                Placeholder::Positional(n) => format!("{{{{{n}}}}}"),
                Placeholder::Named(name) => name.clone(),
            })
            .collect();
        let wanted = match names.len() {
            0 => "no variables".to_string(),
            1 => format!("1 variable ({})", names[0]),
            n => format!("{n} variables ({})", names.join(", ")),
        };
        bail!(
            "Template \"{template}\" takes {wanted}, but --vars gave {}",
            values.len()
        );
    }
    let mut ordered: Vec<(&Placeholder, &String)> = placeholders.iter().zip(values).collect();
    // Positional values go in placeholder-number order, whatever order the body uses.
    if ordered
        .iter()
        .all(|(p, _)| matches!(p, Placeholder::Positional(_)))
    {
        let mut numbers: Vec<&Placeholder> = placeholders.iter().collect();
        numbers.sort_by_key(|p| match p {
            Placeholder::Positional(n) => *n,
            Placeholder::Named(_) => 0,
        });
        ordered = numbers.into_iter().zip(values).collect();
    }
    Ok(ordered
        .into_iter()
        .map(|(p, v)| match p {
            Placeholder::Named(name) => json!({"type": "text", "parameter_name": name, "text": v}),
            Placeholder::Positional(_) => json!({"type": "text", "text": v}),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Value {
        json!([{"type": "HEADER", "text": "{{9}}"}, {"type": "BODY", "text": text}])
    }

    #[test]
    fn finds_named_and_positional_placeholders() {
        assert_eq!(
            body_placeholders(&body("Hola {{name}}, pedido {{ order }} {{name}}")),
            vec![
                Placeholder::Named("name".into()),
                Placeholder::Named("order".into())
            ]
        );
        assert_eq!(
            body_placeholders(&body("Hello {{1}}")),
            vec![Placeholder::Positional(1)]
        );
        assert!(body_placeholders(&body("No variables")).is_empty());
        assert!(body_placeholders(&json!([])).is_empty());
    }

    #[test]
    fn builds_named_parameters_in_placeholder_order() {
        let ph = body_placeholders(&body("Hola {{name}}, tu pedido {{order}}"));
        let params = parameters("order_update", &ph, &split_vars(Some("Maria, A-1"))).expect("ok");
        assert_eq!(
            params,
            vec![
                json!({"type":"text","parameter_name":"name","text":"Maria"}),
                json!({"type":"text","parameter_name":"order","text":"A-1"}),
            ]
        );
    }

    #[test]
    fn positional_values_follow_the_numbers() {
        let ph = body_placeholders(&body("{{2}} then {{1}}"));
        let params = parameters("t", &ph, &split_vars(Some("one,two"))).expect("ok");
        assert_eq!(params[0]["text"], "one");
        assert_eq!(params[1]["text"], "two");
    }

    #[test]
    fn a_count_mismatch_names_the_placeholders() {
        let ph = body_placeholders(&body("Hola {{name}}, tu pedido {{order}}"));
        let err = parameters("order_update", &ph, &split_vars(Some("Maria")))
            .expect_err("mismatch")
            .to_string();
        assert!(err.contains("2 variables (name, order)"), "{err}");
        assert!(err.contains("gave 1"), "{err}");
        assert!(parameters("t", &[], &[]).expect("none").is_empty());
    }

    #[test]
    fn missing_languages_are_listed() {
        let t = |lang: &str| TemplateItem {
            id: format!("id-{lang}"),
            name: "hello_world".into(),
            status: "APPROVED".into(),
            category: "UTILITY".into(),
            language: lang.into(),
        };
        let list = [t("en_US"), t("es")];
        assert_eq!(
            find_template(&list, "hello_world", "es").expect("es").id,
            "id-es"
        );
        let err = find_template(&list, "hello_world", "fr")
            .expect_err("fr")
            .to_string();
        assert!(err.contains("Available languages: en_US, es"), "{err}");
        let err = find_template(&list, "nope", "es")
            .expect_err("nope")
            .to_string();
        assert!(err.contains("hello_world"), "{err}");
    }
}
