//! XML-RPC request decoding: the data-driven cases in tests/data/xmlrpc and
//! the lenient-typing items of the compatibility checklist (backend-api.md
//! section 11, items 5, 6, 7 and 10).

use bursar_rpc::xmlrpc::decode_call;
use bursar_rpc::{ArgRules, Args, DecodeError, ScalarType};

use crate::support::{
    assert_no_mismatches, check_expectation, data_dir, files_ending, render_decoded,
};

#[test]
fn every_request_in_tests_data_decodes_as_expected() {
    let dir = data_dir().join("xmlrpc");
    let mut mismatches = Vec::new();
    let inputs = files_ending(&dir, ".xml");
    assert!(inputs.len() >= 40, "test data missing in {}", dir.display());
    for input in inputs {
        let body = std::fs::read(&input).unwrap();
        let rendered = render_decoded(&decode_call(&body));
        let is_error_case = input
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("err-"));
        if is_error_case != rendered.starts_with("error: ") {
            mismatches.push(format!(
                "{}: error expected = {is_error_case}",
                input.display()
            ));
        }
        check_expectation(
            &input.with_extension("expected"),
            &rendered,
            &mut mismatches,
        );
    }
    assert_no_mismatches(&mismatches);
}

fn backoffice_args(body: &str) -> Args {
    decode_call(body.as_bytes())
        .unwrap()
        .into_args(&ArgRules::BACKOFFICE)
        .unwrap()
}

fn flat_call(params: &[&str]) -> String {
    let params: String = params
        .iter()
        .map(|param| format!("<param><value>{param}</value></param>"))
        .collect();
    format!("<?xml version=\"1.0\"?><methodCall><methodName>FS.API.new_customer</methodName><params>{params}</params></methodCall>")
}

#[test]
fn every_scalar_type_is_accepted_where_a_scalar_is_expected() {
    let args = backoffice_args(&flat_call(&[
        "<string>a</string>",
        "<i4>1</i4>",
        "<string>b</string>",
        "<int>2</int>",
        "<string>c</string>",
        "<i8>3</i8>",
        "<string>d</string>",
        "<double>4.5</double>",
        "<string>e</string>",
        "<boolean>1</boolean>",
        "<string>f</string>",
        "<string>six</string>",
        "<string>g</string>",
        "seven",
        "<string>h</string>",
        "<base64>ZWlnaHQ=</base64>",
    ]));
    let texts: Vec<&str> = args.values().map(|value| value.as_str().unwrap()).collect();
    assert_eq!(texts, ["1", "2", "3", "4.5", "1", "six", "seven", "eight"]);
}

#[test]
fn integers_beyond_32_bits_and_leading_zeros_are_kept_as_sent() {
    let args = backoffice_args(&flat_call(&[
        "<string>phonenum</string>",
        "<i4>3125550001</i4>",
        "<string>zip</string>",
        "<i4>01234</i4>",
    ]));
    assert_eq!(args.str("phonenum"), Some("3125550001"));
    assert_eq!(args.str("zip"), Some("01234"));
}

#[test]
fn a_zip_sent_as_an_integer_is_marked_integer_typed() {
    let args = backoffice_args(&flat_call(&[
        "<string>zip</string>",
        "<int>1234</int>",
        "<string>ship_zip</string>",
        "<string>1234</string>",
    ]));
    let zip = args.scalar("zip").unwrap();
    assert_eq!((zip.text(), zip.ty()), ("1234", ScalarType::Int));
    assert!(zip.is_integer_typed());
    assert!(!args.scalar("ship_zip").unwrap().is_integer_typed());
}

#[test]
fn iso_8859_1_body_with_character_references_decodes() {
    let body = b"<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<methodCall>\n<methodName>FS.API.new_customer</methodName>\n<params>\n <param>\n  <value>\n   <string>first</string>\n  </value>\n </param>\n <param>\n  <value>\n   <string>Ren&#233;e \xc9lise</string>\n  </value>\n </param>\n</params>\n</methodCall>\n";
    let args = decode_call(body)
        .unwrap()
        .into_args(&ArgRules::BACKOFFICE)
        .unwrap();
    assert_eq!(args.str("first"), Some("Renée Élise"));
}

#[test]
fn pretty_printed_body_keeps_scalar_text_exactly() {
    let body = "<?xml version=\"1.0\"?>\n<methodCall>\n  <methodName>FS.API.customer_info</methodName>\n  <params>\n    <param>\n      <value>\n        <string>secret</string>\n      </value>\n    </param>\n    <param>\n      <value><string>  two words \n</string></value>\n    </param>\n  </params>\n</methodCall>\n";
    assert_eq!(backoffice_args(body).str("secret"), Some("  two words \n"));
}

#[test]
fn doctype_and_external_entities_are_refused() {
    for body in [
        "<!DOCTYPE methodCall><methodCall><methodName>m</methodName></methodCall>",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><methodCall><methodName>&e;</methodName></methodCall>",
    ] {
        let err = decode_call(body.as_bytes()).unwrap_err();
        assert!(matches!(err, DecodeError::Doctype { .. }), "{err:?}");
    }
}

#[test]
fn malformed_xml_is_an_error_with_a_position() {
    let err = decode_call(b"<?xml version='1.0'?>\n<methodCall><methodName>m</methodName><params>")
        .unwrap_err();
    assert_eq!(err.to_string(), "no element found at line 2, column 47");
}

#[test]
fn single_struct_param_is_the_argument_map() {
    let args = backoffice_args(
        "<methodCall><methodName>FS.API.customer_info</methodName><params><param><value><struct>\n<member>\n<name>secret</name>\n<value><string>s3cr3t</string></value>\n</member>\n<member>\n<name>custnum</name>\n<value><int>4</int></value>\n</member>\n</struct></value></param></params></methodCall>",
    );
    assert_eq!(args.str("secret"), Some("s3cr3t"));
    assert_eq!(args.str("custnum"), Some("4"));
}

#[test]
fn duplicate_key_in_a_flat_list_uses_the_last_value() {
    let args = backoffice_args(&flat_call(&[
        "<string>secret</string>",
        "<string>one</string>",
        "<string>secret</string>",
        "<string>two</string>",
    ]));
    assert_eq!(args.len(), 1);
    assert_eq!(args.str("secret"), Some("two"));
}

#[test]
fn missing_method_name_is_its_own_variant_for_the_self_service_fault() {
    let err = decode_call(b"<methodCall><params/></methodCall>").unwrap_err();
    assert_eq!(err, DecodeError::MissingMethodName);
}
