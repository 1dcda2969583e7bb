//! The exchanges recorded against Freeside's own daemon
//! (shared/testdata/freeside-wire): every request body decodes as expected,
//! and Bursar's response bytes match Freeside's wherever the spec keeps
//! Freeside's form (backend-api.md 2.5).
//!
//! Two differences are the spec's, not Bursar's mistakes: Bursar writes an
//! empty string as `<string/>` (Freeside `<string />`), and a fault string
//! carries no Perl ` at FILE line N.` suffix. Member order is the caller's;
//! the tests replay Freeside's order.

use std::borrow::Cow;

use bursar_rpc::xmlrpc::{decode_call, encode_fault, encode_response};
use bursar_rpc::Reply;

use crate::support::{
    assert_no_mismatches, check_expectation, data_dir, files_ending, freeside_wire_dir, http_body,
    render_decoded,
};

#[test]
fn every_recorded_request_decodes_as_expected() {
    let Some(wire_dir) = freeside_wire_dir() else {
        return;
    };
    let expected_dir = data_dir().join("freeside-wire");
    let mut mismatches = Vec::new();
    let requests = files_ending(&wire_dir, ".request.http");
    assert!(
        requests.len() >= 21,
        "recordings missing in {}",
        wire_dir.display()
    );
    for request in requests {
        let message = std::fs::read(&request).unwrap();
        let rendered = render_decoded(&decode_call(http_body(&message)));
        let name = request.file_name().unwrap().to_str().unwrap();
        let expected = expected_dir.join(name.replace(".request.http", ".expected"));
        check_expectation(&expected, &rendered, &mut mismatches);
    }
    assert_no_mismatches(&mismatches);
}

/// The members of a recorded `<methodResponse>` struct of strings, in order.
fn recorded_members(body: &str) -> Vec<(String, String)> {
    let mut members = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<member><name>") {
        rest = &rest[start + "<member><name>".len()..];
        let name_end = rest.find("</name>").unwrap();
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end + "</name><value>".len()..];
        let value = if let Some(after) = rest.strip_prefix("<string />") {
            rest = after;
            String::new()
        } else {
            rest = rest.strip_prefix("<string>").unwrap();
            let value_end = rest.find("</string>").unwrap();
            let value = rest[..value_end].to_owned();
            rest = &rest[value_end..];
            value
        };
        members.push((name, value));
    }
    members
}

#[test]
fn result_bytes_match_freeside_given_its_member_order() {
    let Some(wire_dir) = freeside_wire_dir() else {
        return;
    };
    let mut n_compared = 0;
    for response in files_ending(&wire_dir, ".response.http") {
        let message = std::fs::read(&response).unwrap();
        let body = String::from_utf8(http_body(&message).to_vec()).unwrap();
        if !body.contains("<methodResponse><params>") {
            continue;
        }
        let reply: Reply = recorded_members(&body)
            .into_iter()
            .map(|(name, value)| (Cow::Owned(name), value))
            .collect();
        let expected = body.replace("<string />", "<string/>");
        let actual = String::from_utf8(encode_response(&reply)).unwrap();
        assert_eq!(actual, expected, "{}", response.display());
        n_compared += 1;
    }
    assert_eq!(n_compared, 16);
}

#[test]
fn unknown_method_fault_matches_freeside_without_the_perl_suffix() {
    let Some(wire_dir) = freeside_wire_dir() else {
        return;
    };
    let message = std::fs::read(wire_dir.join("11-unknown-method.response.http")).unwrap();
    let recorded = String::from_utf8(http_body(&message).to_vec()).unwrap();
    let expected = recorded.replace(" at /usr/share/perl5/SOAP/Lite.pm line 2914.\n", "");
    let actual = encode_fault(
        "Client",
        "Failed to locate method (no_such_method) in class (FS::API)",
    );
    assert_eq!(String::from_utf8(actual).unwrap(), expected);
}

#[test]
fn fault_text_quotes_are_written_as_freeside_writes_them() {
    let Some(wire_dir) = freeside_wire_dir() else {
        return;
    };
    let message =
        std::fs::read(wire_dir.join("21-order_package-bad-pkgpart.response.http")).unwrap();
    let recorded = String::from_utf8(http_body(&message).to_vec()).unwrap();
    let text = r#"Can't call method "agentnum" on an undefined value"#;
    let actual = String::from_utf8(encode_fault("Server", text)).unwrap();
    let string_element = format!("<value><string>{text}");
    assert!(recorded.contains(&string_element));
    assert!(actual.contains(&format!("{string_element}</string>")));
    assert!(actual.contains("<name>faultCode</name><value><string>Server</string>"));
}
