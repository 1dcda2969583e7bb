//! JSON-RPC 2.0: the data-driven cases in tests/data/jsonrpc, the spec's
//! example (backend-api.md 2.7) and checklist items 46 and 47.

use bursar_rpc::jsonrpc::{
    encode_batch, encode_error, encode_result, parse_body, Body, Entry, ErrorObject, Id, Request,
};
use bursar_rpc::xmlrpc::decode_call;
use bursar_rpc::{ArgRules, Reply};

use crate::support::{
    assert_no_mismatches, check_expectation, data_dir, files_ending, render_body,
};

#[test]
fn every_body_in_tests_data_parses_as_expected() {
    let dir = data_dir().join("jsonrpc");
    let mut mismatches = Vec::new();
    let inputs = files_ending(&dir, ".json");
    assert!(inputs.len() >= 15, "test data missing in {}", dir.display());
    for input in inputs {
        let body = std::fs::read(&input).unwrap();
        let rendered = render_body(&parse_body(&body));
        check_expectation(
            &input.with_extension("expected"),
            &rendered,
            &mut mismatches,
        );
    }
    assert_no_mismatches(&mismatches);
}

fn single(body: &str) -> Request {
    match parse_body(body.as_bytes()) {
        Ok(Body::Single(Entry::Request(request))) => request,
        other => panic!("not a single request: {other:?}"),
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn spec_example_round_trip() {
    let request = single(
        r#"{"jsonrpc":"2.0","id":7,"method":"FS.API.insert_payment",
 "params":{"secret":"s3cr3t","custnum":1,"payby":"CASH","paid":"54.32"}}"#,
    );
    assert_eq!(request.method, "FS.API.insert_payment");
    let id = request.id.clone().unwrap();
    let args = request.params.into_args(&ArgRules::BACKOFFICE).unwrap();
    assert_eq!(args.str("custnum"), Some("1"));
    assert!(args.scalar("custnum").unwrap().is_integer_typed());
    assert_eq!(args.str("paid"), Some("54.32"));
    let reply = Reply::new().with("error", "").with("paynum", "17");
    assert_eq!(
        text(encode_result(&id, &reply)),
        r#"{"jsonrpc":"2.0","result":{"error":"","paynum":"17"},"id":7}"#
    );
}

#[test]
fn api_errors_are_results() {
    let reply = Reply::error("Incorrect shared secret");
    assert_eq!(
        text(encode_result(&Id::Number("1".into()), &reply)),
        r#"{"jsonrpc":"2.0","result":{"error":"Incorrect shared secret"},"id":1}"#
    );
}

#[test]
fn json_and_xml_give_the_same_arguments_for_the_same_call() {
    let xml = decode_call(b"<methodCall><methodName>FS.API.customer_info</methodName><params><param><value><string>secret</string></value></param><param><value>s</value></param><param><value><string>custnum</string></value></param><param><value><int>4</int></value></param></params></methodCall>")
        .unwrap()
        .into_args(&ArgRules::BACKOFFICE)
        .unwrap();
    let json = single(r#"{"jsonrpc":"2.0","id":1,"method":"FS.API.customer_info","params":{"secret":"s","custnum":4}}"#)
        .params
        .into_args(&ArgRules::BACKOFFICE)
        .unwrap();
    let texts = |args: &bursar_rpc::Args| -> Vec<(String, String, bool)> {
        args.iter()
            .map(|(name, value)| {
                let scalar = value.as_scalar().unwrap();
                (
                    name.to_owned(),
                    scalar.text().to_owned(),
                    scalar.is_integer_typed(),
                )
            })
            .collect()
    };
    assert_eq!(texts(&xml), texts(&json));
}

#[test]
fn protocol_errors_have_the_spec_codes_and_messages() {
    assert_eq!(parse_body(b"{not json"), Err(ErrorObject::parse_error()));
    assert_eq!(parse_body(b"[]"), Err(ErrorObject::invalid_request()));
    let cases = [
        (
            ErrorObject::parse_error(),
            r#"{"code":-32700,"message":"Parse error"}"#,
        ),
        (
            ErrorObject::invalid_request(),
            r#"{"code":-32600,"message":"Invalid Request"}"#,
        ),
        (
            ErrorObject::method_not_found("FS.API.foo"),
            r#"{"code":-32601,"message":"Method not found","data":"FS.API.foo"}"#,
        ),
        (
            ErrorObject::invalid_params(),
            r#"{"code":-32602,"message":"Invalid params"}"#,
        ),
        (
            ErrorObject::internal_error("7f3a"),
            r#"{"code":-32603,"message":"Internal error","data":{"ref":"7f3a"}}"#,
        ),
    ];
    for (error, expected) in cases {
        assert_eq!(
            text(encode_error(&Id::Null, &error)),
            format!(r#"{{"jsonrpc":"2.0","error":{expected},"id":null}}"#)
        );
    }
}

#[test]
fn params_that_are_not_object_or_array_are_invalid_params() {
    for params in [r#""text""#, "1", "true", "null"] {
        let request = single(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{params}}}"#
        ));
        assert_eq!(
            request.params.into_args(&ArgRules::BACKOFFICE),
            Err(ErrorObject::invalid_params()),
            "{params}"
        );
    }
}

#[test]
fn self_service_accepts_only_an_object_or_one_object_array() {
    let flat = single(r#"{"jsonrpc":"2.0","id":1,"method":"login","params":["email","a@b.c"]}"#);
    assert_eq!(
        flat.params.clone().into_args(&ArgRules::SELFSERVICE),
        Err(ErrorObject::invalid_params())
    );
    assert!(flat.params.into_args(&ArgRules::BACKOFFICE).is_ok());
}

#[test]
fn a_batch_of_three_gives_three_entries_and_notifications_are_marked() {
    let body = br#"[
        {"jsonrpc":"2.0","id":1,"method":"a"},
        {"jsonrpc":"2.0","id":"two","method":"b","params":{}},
        {"jsonrpc":"2.0","method":"c"}
    ]"#;
    let Ok(Body::Batch(entries)) = parse_body(body) else {
        panic!("not a batch");
    };
    let notifications: Vec<bool> = entries
        .iter()
        .map(|entry| match entry {
            Entry::Request(request) => request.is_notification(),
            Entry::Invalid { .. } => panic!("invalid entry"),
        })
        .collect();
    assert_eq!(notifications, [false, false, true]);
    let answers: Vec<Vec<u8>> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Request(Request { id: Some(id), .. }) => {
                Some(encode_result(id, &Reply::error("")))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        text(encode_batch(&answers)),
        r#"[{"jsonrpc":"2.0","result":{"error":""},"id":1},{"jsonrpc":"2.0","result":{"error":""},"id":"two"}]"#
    );
}

#[test]
fn number_ids_are_echoed_byte_for_byte() {
    let request = single(r#"{"jsonrpc":"2.0","id":1.50e3,"method":"m"}"#);
    assert_eq!(
        text(encode_result(&request.id.unwrap(), &Reply::new())),
        r#"{"jsonrpc":"2.0","result":{},"id":1.50e3}"#
    );
}
