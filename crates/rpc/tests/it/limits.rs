//! Hostile input: entity bombs, nesting depth and value count limits, for
//! both codecs (backend-api.md 2.3: depth 32, 10,000 values).

use bursar_rpc::jsonrpc::{parse_body, Body, Entry, ErrorObject};
use bursar_rpc::xmlrpc::decode_call;
use bursar_rpc::{ArgRules, DecodeError, Value, MAX_DEPTH, MAX_VALUES};

fn nested_arrays_call(depth: usize) -> String {
    format!(
        "<methodCall><methodName>m</methodName><params><param>{}<value>x</value>{}</param></params></methodCall>",
        "<value><array><data>".repeat(depth),
        "</data></array></value>".repeat(depth)
    )
}

fn nested_structs_call(depth: usize) -> String {
    format!(
        "<methodCall><methodName>m</methodName><params><param>{}<value>x</value>{}</param></params></methodCall>",
        "<value><struct><member><name>k</name>".repeat(depth),
        "</member></struct></value>".repeat(depth)
    )
}

#[test]
fn xml_nesting_up_to_the_limit_is_accepted_and_beyond_refused() {
    for call in [nested_arrays_call, nested_structs_call] {
        let ok = decode_call(call(MAX_DEPTH).as_bytes()).unwrap();
        let mut depth = 0;
        let mut value = &ok.params[0];
        while let Some(inner) = value
            .as_array()
            .and_then(|items| items.first())
            .or_else(|| value.as_struct().and_then(|members| members.get("k")))
        {
            depth += 1;
            value = inner;
        }
        assert_eq!(depth, MAX_DEPTH);
        let err = decode_call(call(MAX_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(matches!(err, DecodeError::TooDeep { .. }), "{err:?}");
    }
}

#[test]
fn hostile_xml_nesting_is_refused_without_exhausting_the_stack() {
    let err = decode_call(nested_arrays_call(100_000).as_bytes()).unwrap_err();
    assert!(matches!(err, DecodeError::TooDeep { .. }), "{err:?}");
}

fn many_values_call(n_values: usize) -> String {
    format!(
        "<methodCall><methodName>m</methodName><params>{}</params></methodCall>",
        "<param><value>v</value></param>".repeat(n_values)
    )
}

#[test]
fn xml_value_count_up_to_the_limit_is_accepted_and_beyond_refused() {
    assert_eq!(
        decode_call(many_values_call(MAX_VALUES).as_bytes())
            .unwrap()
            .params
            .len(),
        MAX_VALUES
    );
    let err = decode_call(many_values_call(MAX_VALUES + 1).as_bytes()).unwrap_err();
    assert!(matches!(err, DecodeError::TooManyValues { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "more than 10000 values at line 1, column 310054"
    );
}

#[test]
fn nested_values_count_towards_the_limit() {
    let body = format!(
        "<methodCall><methodName>m</methodName><params><param><value><array><data>{}</data></array></value></param></params></methodCall>",
        "<value>v</value>".repeat(MAX_VALUES)
    );
    let err = decode_call(body.as_bytes()).unwrap_err();
    assert!(matches!(err, DecodeError::TooManyValues { .. }), "{err:?}");
}

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let mut body = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        body.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">",
            format!("&{previous};").repeat(10)
        ));
    }
    body.push_str("]><methodCall><methodName>m</methodName><params><param><value>&lol9;</value></param></params></methodCall>");
    let err = decode_call(body.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DOCTYPE is not allowed at line 1, column 22"
    );
}

#[test]
fn entity_references_without_a_doctype_are_not_expanded() {
    let err = decode_call(
        b"<methodCall><methodName>m</methodName><params><param><value>&lol9;</value></param></params></methodCall>",
    )
    .unwrap_err();
    assert!(matches!(err, DecodeError::BadReference { .. }), "{err:?}");
}

fn json_params_args(params: &str) -> Result<bursar_rpc::Args, ErrorObject> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{params}}}"#);
    let Ok(Body::Single(Entry::Request(request))) = parse_body(body.as_bytes()) else {
        panic!("not a request");
    };
    request.params.into_args(&ArgRules::BACKOFFICE)
}

#[test]
fn json_value_count_up_to_the_limit_is_accepted_and_beyond_refused() {
    // The params object itself is not a value; its members are.
    let members = |n: usize| -> String {
        let members: Vec<String> = (0..n).map(|idx| format!("\"k{idx}\":1")).collect();
        format!("{{{}}}", members.join(","))
    };
    assert_eq!(
        json_params_args(&members(MAX_VALUES)).unwrap().len(),
        MAX_VALUES
    );
    assert_eq!(
        json_params_args(&members(MAX_VALUES + 1)),
        Err(ErrorObject::invalid_params())
    );
}

#[test]
fn json_nesting_is_limited_in_params_and_in_the_whole_body() {
    let nested = |depth: usize| format!("{{\"k\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
    let args = json_params_args(&nested(MAX_DEPTH)).unwrap();
    assert!(matches!(args.get("k"), Some(Value::Array(_))));
    assert_eq!(
        json_params_args(&nested(MAX_DEPTH + 1)),
        Err(ErrorObject::invalid_params())
    );
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(parse_body(body.as_bytes()), Err(ErrorObject::parse_error()));
}
