//! Helpers shared by the feature modules: where test data lives, a readable
//! rendering of decoded requests, and expectation files.
//!
//! Expectation files (`*.expected` beside the inputs) hold the rendering a
//! test must produce. Run with `BURSAR_UPDATE_EXPECT=1` to rewrite them after
//! a deliberate change, then review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bursar_rpc::jsonrpc::{self, Body, Entry, Id};
use bursar_rpc::xmlrpc::MethodCall;
use bursar_rpc::{args_from_params, ArgRules, Args, DecodeError, Value};

/// The crate's own test data folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The recorded Freeside exchanges (`/work/shared/testdata/freeside-wire`),
/// or `None`, with a message, when this checkout has no shared folder.
pub fn freeside_wire_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/freeside-wire");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipped: recorded Freeside exchanges not found at {}",
            dir.display()
        );
        None
    }
}

/// Files in `dir` whose name ends with `suffix`, sorted by name.
pub fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(suffix))
        })
        .collect();
    paths.sort();
    paths
}

/// The body of a recorded HTTP message (everything after the blank line).
pub fn http_body(message: &[u8]) -> &[u8] {
    message
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(&[][..], |idx| &message[idx + 4..])
}

/// Compares `actual` with the expectation file at `path`, collecting a
/// mismatch message instead of failing at once (so one run lists them all).
pub fn check_expectation(path: &Path, actual: &str, mismatches: &mut Vec<String>) {
    if std::env::var_os("BURSAR_UPDATE_EXPECT").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        mismatches.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
}

/// Fails with every collected mismatch.
pub fn assert_no_mismatches(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches (BURSAR_UPDATE_EXPECT=1 rewrites expectations):\n\n{}",
        mismatches.len(),
        mismatches.join("\n\n")
    );
}

/// Renders an XML-RPC decode result: the call and its argument map under
/// both faces' rules, or the error.
pub fn render_decoded(decoded: &Result<MethodCall, DecodeError>) -> String {
    let call = match decoded {
        Ok(call) => call,
        Err(err) => return format!("error: {err}\nvariant: {err:?}\n"),
    };
    let mut out = format!("method: {:?}\nparams:\n", call.method_name);
    for param in &call.params {
        render_value(param, 1, &mut out);
    }
    render_both_args(&mut out, |rules| {
        args_from_params(call.params.clone(), rules).map_err(|err| err.to_string())
    });
    out
}

/// Renders a JSON-RPC parse result: each entry with its id, method and
/// argument maps, or its error.
pub fn render_body(parsed: &Result<Body, jsonrpc::ErrorObject>) -> String {
    let mut out = String::new();
    match parsed {
        Err(error) => {
            let _ = writeln!(
                out,
                "body error: {}",
                render_error_response(&Id::Null, error)
            );
        }
        Ok(Body::Single(entry)) => {
            out.push_str("single:\n");
            render_entry(entry, &mut out);
        }
        Ok(Body::Batch(entries)) => {
            let _ = writeln!(out, "batch of {}:", entries.len());
            for entry in entries {
                render_entry(entry, &mut out);
            }
        }
    }
    out
}

fn render_entry(entry: &Entry, out: &mut String) {
    match entry {
        Entry::Invalid { id, error } => {
            let _ = writeln!(out, "- invalid: {}", render_error_response(id, error));
        }
        Entry::Request(request) => {
            let _ = writeln!(
                out,
                "- request method {:?} id {}",
                request.method,
                request
                    .id
                    .as_ref()
                    .map_or("(notification)".to_owned(), |id| format!("{id:?}"))
            );
            render_both_args(out, |rules| {
                request
                    .params
                    .clone()
                    .into_args(rules)
                    .map_err(|error| render_error_response(&Id::Null, &error))
            });
        }
    }
}

fn render_error_response(id: &Id, error: &jsonrpc::ErrorObject) -> String {
    String::from_utf8(jsonrpc::encode_error(id, error)).unwrap()
}

fn render_both_args(out: &mut String, args_under: impl Fn(&ArgRules) -> Result<Args, String>) {
    let backoffice = args_under(&ArgRules::BACKOFFICE);
    let selfservice = args_under(&ArgRules::SELFSERVICE);
    render_args("args (backoffice)", &backoffice, out);
    if selfservice == backoffice {
        out.push_str("args (selfservice): same\n");
    } else {
        render_args("args (selfservice)", &selfservice, out);
    }
}

fn render_args(title: &str, args: &Result<Args, String>, out: &mut String) {
    match args {
        Err(err) => {
            let _ = writeln!(out, "{title}: error: {err}");
        }
        Ok(args) => {
            let _ = writeln!(out, "{title}:");
            for (name, value) in args.iter() {
                let _ = write!(out, "  {name:?} =");
                render_value_inline(value, out);
            }
        }
    }
}

fn render_value_inline(value: &Value, out: &mut String) {
    match value {
        Value::Scalar(_) => {
            out.push(' ');
            render_value(value, 0, out);
        }
        _ => {
            out.push('\n');
            render_value(value, 2, out);
        }
    }
}

/// Renders a value, one scalar or member per line.
pub fn render_value(value: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match value {
        Value::Scalar(scalar) => {
            let _ = writeln!(out, "{pad}{:?} {:?}", scalar.ty(), scalar.text());
        }
        Value::Struct(members) => {
            let _ = writeln!(out, "{pad}struct ({} members)", members.len());
            for (name, member) in members.iter() {
                let _ = writeln!(out, "{pad}  {name:?}:");
                render_value(member, indent + 2, out);
            }
        }
        Value::Array(items) => {
            let _ = writeln!(out, "{pad}array ({} items)", items.len());
            for item in items {
                render_value(item, indent + 1, out);
            }
        }
    }
}
