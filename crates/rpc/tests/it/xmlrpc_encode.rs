//! XML-RPC response encoding: the spec's examples byte for byte
//! (backend-api.md 2.5) and checklist item 9 (only `<struct>`, `<array>` and
//! `<string>` values; empty values as `<string/>`).

use bursar_rpc::xmlrpc::{encode_fault, encode_response};
use bursar_rpc::{Reply, ReplyValue};

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn insert_payment_result_matches_the_spec_example() {
    let reply = Reply::new().with("error", "").with("paynum", "17");
    assert_eq!(
        text(encode_response(&reply)),
        r#"<?xml version="1.0" encoding="UTF-8"?><methodResponse><params><param><value><struct><member><name>error</name><value><string/></value></member><member><name>paynum</name><value><string>17</string></value></member></struct></value></param></params></methodResponse>"#
    );
}

#[test]
fn fault_matches_the_spec_example() {
    assert_eq!(
        text(encode_fault(
            "Client",
            "Failed to locate method (no_such) in class (FS::API)"
        )),
        r#"<?xml version="1.0" encoding="UTF-8"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><string>Client</string></value></member><member><name>faultString</name><value><string>Failed to locate method (no_such) in class (FS::API)</string></value></member></struct></value></fault></methodResponse>"#
    );
}

#[test]
fn fault_string_is_escaped() {
    let fault = text(encode_fault(
        "Client",
        "Application failed during request deserialization: unexpected <foo> in <value> & more\r",
    ));
    assert!(fault.contains(
        "<string>Application failed during request deserialization: unexpected &lt;foo&gt; in &lt;value&gt; &amp; more&#13;</string>"
    ));
}

#[test]
fn nested_lists_and_empty_values() {
    let package = Reply::new()
        .with("pkgnum", "5")
        .with("setup", "")
        .with("details", vec![String::from("a"), String::new()]);
    let reply = Reply::new()
        .with("error", "")
        .with("cust_pkg", vec![package])
        .with("none", Vec::<Reply>::new())
        .with("nested", Reply::new());
    assert_eq!(
        text(encode_response(&reply)),
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><methodResponse><params><param><value><struct>"#,
            "<member><name>error</name><value><string/></value></member>",
            "<member><name>cust_pkg</name><value><array><data><value><struct>",
            "<member><name>pkgnum</name><value><string>5</string></value></member>",
            "<member><name>setup</name><value><string/></value></member>",
            "<member><name>details</name><value><array><data><value><string>a</string></value><value><string/></value></data></array></value></member>",
            "</struct></value></data></array></value></member>",
            "<member><name>none</name><value><array><data></data></array></value></member>",
            "<member><name>nested</name><value><struct></struct></value></member>",
            "</struct></value></param></params></methodResponse>"
        )
    );
}

#[test]
fn responses_hold_only_struct_array_and_string_values() {
    let reply = Reply::new()
        .with("error", "")
        .with("balance", "0.00")
        .with("paynum", 17.to_string())
        .with("list", vec![Reply::new().with("n", "1")]);
    let body = text(encode_response(&reply));
    let mut rest = body.as_str();
    while let Some(idx) = rest.find("<value>") {
        rest = &rest[idx + "<value>".len()..];
        assert!(
            ["<string", "<struct>", "<array>"]
                .iter()
                .any(|allowed| rest.starts_with(allowed)),
            "unexpected value type at: {rest}"
        );
    }
}

#[test]
fn binary_content_is_base64() {
    let reply = Reply::new().with("error", "").with(
        "invoice_pdf",
        ReplyValue::Base64(b"%PDF-1.4\n\xff".to_vec()),
    );
    assert!(text(encode_response(&reply))
        .contains("<name>invoice_pdf</name><value><base64>JVBERi0xLjQK/w==</base64></value>"));
}

#[test]
fn names_are_escaped_and_non_xml_characters_dropped() {
    let reply = Reply::new().with(String::from("a<b"), "x\u{1b}[0m\u{0}y");
    assert!(text(encode_response(&reply))
        .contains("<member><name>a&lt;b</name><value><string>x[0my</string></value></member>"));
}
