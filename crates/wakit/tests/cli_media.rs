//! Media in the client CLI, through the built binary against a running `wakit demo`: a
//! customer's PDF shows in `wakit chat` with its size and caption, and `wakit media get`
//! saves the very bytes the API serves.

mod cli_support;
mod procs;

use cli_support::{Demo, MARIA, PHONE_NUMBER_ID, eventually};
use serde_json::{Value, json};

#[test]
fn a_customers_pdf_shows_in_chat_and_saves_to_a_file() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    demo.sim(
        &format!("/customers/{MARIA}/messages"),
        json!({"phone_number_id": PHONE_NUMBER_ID, "type": "document",
               "body": {"filename": "factura.pdf", "caption": "la factura"}}),
    );
    let chat = eventually("the stored PDF to show in the chat", || {
        let chat = cli.ok(&["chat", MARIA]);
        chat.contains("[document ").then_some(chat)
    });
    let line = chat
        .lines()
        .find(|l| l.contains("[document "))
        .expect("the PDF's line");
    assert!(line.contains(" B] la factura"), "{line}");

    let json = cli.json(&["chat", MARIA, "--json"]);
    let file: Value = json["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find_map(|m| {
            m["content"]
                .get("file")
                .filter(|f| f["name"] == "factura.pdf")
                .cloned()
        })
        .expect("the PDF's part");
    let id = file["id"].as_str().expect("a stored file has an id");
    let out = demo.data_dir().join("saved.pdf");
    cli.ok(&["media", "get", id, "-o", out.to_str().expect("utf8 path")]);
    let saved = std::fs::read(&out).expect("the saved file");
    assert_eq!(saved.len() as u64, file["size"].as_u64().expect("size"));
    assert!(!demo.data_dir().join("saved.pdf.part").exists());

    let missing = cli.fails(
        &[
            "media",
            "get",
            "00000000-0000-0000-0000-000000000000",
            "-o",
            "x",
        ],
        1,
    );
    assert!(missing.contains("No media with this id"), "{missing}");
}

/// `wakit send --file` uploads the file and sends it under the kind its bytes show:
/// a photo with its caption, a PDF with its name; Meta gets its own media id of each.
#[test]
fn send_file_delivers_a_photo_and_a_pdf() {
    let demo = Demo::start();
    demo.wait_for_seed();
    let cli = demo.configured_cli();
    // Maria writes first: files need the open window.
    demo.sim(
        &format!("/customers/{MARIA}/messages"),
        json!({"phone_number_id": PHONE_NUMBER_ID, "text": "¿me mandas la foto?"}),
    );
    eventually("Maria's message", || {
        cli.ok(&["chat", MARIA])
            .contains("¿me mandas la foto?")
            .then_some(())
    });
    let photo = demo.data_dir().join("foto.bin");
    std::fs::write(&photo, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9]).expect("photo");
    let pdf = demo.data_dir().join("factura.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 factura").expect("pdf");
    let path = |p: &std::path::Path| p.to_str().expect("utf8").to_string();
    cli.ok(&[
        "send",
        MARIA,
        "--file",
        &path(&photo),
        "--caption",
        "tu pedido",
    ]);
    cli.ok(&["send", MARIA, "--file", &path(&pdf)]);

    let sent = eventually("both files at Meta", || {
        let sent = demo.sim_get(&format!("/sent?to={MARIA}"));
        let files: Vec<Value> = sent["data"]
            .as_array()?
            .iter()
            .filter(|m| m["type"] == "image" || m["type"] == "document")
            .cloned()
            .collect();
        (files.len() == 2).then_some(files)
    });
    let image = sent.iter().find(|m| m["type"] == "image").expect("image");
    assert_eq!(image["request"]["image"]["caption"], "tu pedido");
    assert!(image["request"]["image"]["id"].is_string(), "{image}");
    let doc = sent
        .iter()
        .find(|m| m["type"] == "document")
        .expect("document");
    assert_eq!(doc["request"]["document"]["filename"], "factura.pdf");

    let bad = demo.data_dir().join("notas.xyz");
    std::fs::write(&bad, b"hola").expect("file");
    let out = cli.fails(&["send", MARIA, "--file", &path(&bad)], 2);
    assert!(out.contains("not a file type WhatsApp sends"), "{out}");
}
