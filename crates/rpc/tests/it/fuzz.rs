//! Property tests: both parsers over arbitrary bytes and over mutations of
//! valid requests never panic (errors are values), and what the encoders
//! write the decoders read back unchanged (checklist item 48).
//!
//! `REGRESSIONS` holds hand-picked edge cases and any input the fuzzing
//! found failing; they run on every test run.

use std::borrow::Cow;
use std::sync::OnceLock;

use proptest::prelude::*;

use bursar_rpc::jsonrpc::{self, parse_body, Body, Entry, Id};
use bursar_rpc::xmlrpc::{decode_call, encode_fault, encode_response};
use bursar_rpc::{args_from_params, ArgRules, Reply, ReplyValue, Value};

use crate::support::{data_dir, files_ending, freeside_wire_dir, http_body};

/// Bodies each parser must turn into a value (Ok or Err) without panicking.
const REGRESSIONS: &[&[u8]] = &[
    // A type element opened inside a `<value>` after a comment.
    b"<methodCall><methodName>m</methodName><params><param><value><!--c--><int>1</int></value></param></params></methodCall>",
    // An end tag for an element never opened.
    b"<methodCall></params></methodCall>",
    // A declaration that ends inside its pseudo-attributes.
    b"<?xml version=\"1.0\" encoding=\"",
    // A multi-byte character cut by a position computation.
    "<methodCall><methodName>\u{e9}\u{e9}</methodName><params><param></param></params></methodCall>".as_bytes(),
    // JSON: a surrogate escape at the very end of the body.
    b"{\"a\":\"\\ud800",
    b"[{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":-0.0e-0}}]",
];

/// Runs every entry point a server would call on `body`; must not panic.
fn exercise(body: &[u8]) {
    if let Ok(call) = decode_call(body) {
        for rules in [ArgRules::BACKOFFICE, ArgRules::SELFSERVICE] {
            let _ = args_from_params(call.params.clone(), &rules);
        }
    }
    if let Ok(parsed) = parse_body(body) {
        let entries = match parsed {
            Body::Single(entry) => vec![entry],
            Body::Batch(entries) => entries,
        };
        for entry in entries {
            match entry {
                Entry::Request(request) => {
                    for rules in [ArgRules::BACKOFFICE, ArgRules::SELFSERVICE] {
                        let _ = request.params.clone().into_args(&rules);
                    }
                    let id = request.id.unwrap_or(Id::Null);
                    let _ = jsonrpc::encode_result(&id, &Reply::error(request.method));
                }
                Entry::Invalid { id, error } => {
                    let _ = jsonrpc::encode_error(&id, &error);
                }
            }
        }
    }
}

#[test]
fn regression_inputs_decode_without_panicking() {
    for body in REGRESSIONS {
        exercise(body);
    }
}

/// Valid requests to mutate: the crate's XML and JSON test data, and the
/// recorded Freeside requests when present.
fn seed_bodies() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(read_seed_bodies)
}

fn read_seed_bodies() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    if let Some(wire_dir) = freeside_wire_dir() {
        for path in files_ending(&wire_dir, ".request.http") {
            let message = std::fs::read(path).unwrap();
            seeds.push(http_body(&message).to_vec());
        }
    }
    for (folder, suffix) in [("xmlrpc", ".xml"), ("jsonrpc", ".json")] {
        for path in files_ending(&data_dir().join(folder), suffix) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("err-") {
                seeds.push(std::fs::read(path).unwrap());
            }
        }
    }
    assert!(seeds.len() > 20);
    seeds
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to the parsers, more often than chance would pick.
    let interesting = prop_oneof![
        any::<u8>(),
        prop::sample::select(b"<>/&;#x\"'=[]{}:,\\-.0123456789eE \n\r?!".to_vec()),
    ];
    let fragment = prop_oneof![
        prop::collection::vec(interesting.clone(), 1..8),
        prop::sample::select(vec![
            b"<value>".to_vec(),
            b"</value>".to_vec(),
            b"<struct>".to_vec(),
            b"<array><data>".to_vec(),
            b"<member><name>".to_vec(),
            b"<!DOCTYPE x>".to_vec(),
            b"<![CDATA[".to_vec(),
            b"&#x1F600;".to_vec(),
            b"&#55296;".to_vec(),
            b"\"\\u".to_vec(),
            b"[{".to_vec(),
            b"1e999".to_vec(),
            b"\xC3".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), interesting).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), fragment).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 1..200usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(body: &mut Vec<u8>, mutation: &Mutation) {
    let len = body.len();
    let place = |at: usize| if len == 0 { 0 } else { at % (len + 1) };
    match mutation {
        Mutation::Flip { at, byte } if len > 0 => body[at % len] = *byte,
        Mutation::Flip { .. } => {}
        Mutation::Insert { at, bytes } => {
            let at = place(*at);
            body.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete { at, len: n } => {
            let at = place(*at);
            body.drain(at..(at + n).min(len));
        }
        Mutation::Duplicate { at, len: n } => {
            let at = place(*at);
            let copy: Vec<u8> = body[at..(at + n).min(len)].to_vec();
            body.splice(at..at, copy);
        }
        Mutation::Truncate { at } => body.truncate(place(*at)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&body);
    }

    #[test]
    fn mutated_valid_requests_never_panic(
        seed_idx in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seed_bodies();
        let mut body = seeds[seed_idx % seeds.len()].clone();
        for mutation in &mutations {
            apply(&mut body, mutation);
        }
        exercise(&body);
    }
}

/// Text that XML 1.0 can carry (the encoder drops the rest) and JSON can.
fn xml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec!['a', ' ', '\n', '\r', '\t', '&', '<', '>', '"', '\'', ';', '#', ']']),
            any::<char>().prop_filter("XML character", |c| {
                !matches!(*c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
            }),
        ],
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn reply_value() -> impl Strategy<Value = ReplyValue> {
    let leaf = xml_text().prop_map(ReplyValue::String);
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(ReplyValue::Array),
            prop::collection::vec((xml_text(), inner), 0..6).prop_map(|members| {
                ReplyValue::Struct(
                    members
                        .into_iter()
                        .map(|(name, value)| (Cow::Owned(name), value))
                        .collect(),
                )
            }),
        ]
    })
}

/// A reply with distinct member names (a decoded struct keeps one value per
/// name, so duplicates would not round-trip).
fn reply() -> impl Strategy<Value = Reply> {
    prop::collection::btree_map(xml_text(), reply_value(), 0..8).prop_map(|members| {
        members
            .into_iter()
            .map(|(name, value)| (Cow::Owned(name), value))
            .collect()
    })
}

/// What a reply value looks like once decoded, duplicates resolved the way
/// decoding resolves them (the later member wins).
fn expected_value(value: &ReplyValue) -> Value {
    match value {
        ReplyValue::String(text) => Value::string(text.as_str()),
        ReplyValue::Array(items) => Value::Array(items.iter().map(expected_value).collect()),
        ReplyValue::Struct(members) => Value::Struct(bursar_rpc::Struct::from_members(
            members
                .iter()
                .map(|(name, value)| (name.to_owned(), expected_value(value)))
                .collect(),
        )),
        ReplyValue::Base64(_) => unreachable!("not generated"),
    }
}

/// Reads a JSON reply back as a Value tree (strings typed as such).
fn json_reply_as_value(reply: &Reply) -> Value {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":[{}]}}"#,
        String::from_utf8(jsonrpc::encode_reply(reply)).unwrap()
    );
    let Ok(Body::Single(Entry::Request(request))) = parse_body(body.as_bytes()) else {
        panic!("encoded reply did not parse: {body}");
    };
    let args = request.params.into_args(&ArgRules::BACKOFFICE).unwrap();
    Value::Struct(args)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn encoded_responses_decode_back_to_the_same_values(reply in reply()) {
        let response = String::from_utf8(encode_response(&reply)).unwrap();
        // Re-frame the response as a call so the request decoder reads it.
        let call = response
            .replace("<methodResponse><params>", "<methodCall><methodName>m</methodName><params>")
            .replace("</methodResponse>", "</methodCall>");
        let decoded = decode_call(call.as_bytes()).unwrap();
        prop_assert_eq!(&decoded.params, &vec![expected_value(&ReplyValue::Struct(reply.clone()))]);
        prop_assert_eq!(json_reply_as_value(&reply), expected_value(&ReplyValue::Struct(reply)));
    }

    #[test]
    fn fault_strings_survive_encoding(text in xml_text()) {
        let fault = String::from_utf8(encode_fault("Client", &text)).unwrap();
        let call = fault
            .replace("<methodResponse><fault>", "<methodCall><methodName>m</methodName><params><param>")
            .replace("</fault></methodResponse>", "</param></params></methodCall>");
        let decoded = decode_call(call.as_bytes()).unwrap();
        let fault_struct = decoded.params[0].as_struct().unwrap();
        prop_assert_eq!(fault_struct.str("faultString"), Some(text.as_str()));
    }
}
