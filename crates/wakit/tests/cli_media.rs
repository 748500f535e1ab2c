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
