//! XML-RPC request decoding: a `<methodCall>` body into a method name and a
//! list of [`Value`]s (backend-api.md 2.3, selfservice-api.md 3.3).
//!
//! The decoder is a single pass over quick-xml events with an explicit stack
//! (no recursion, so hostile nesting cannot overflow the thread's stack). It
//! refuses any DOCTYPE, expands only the five predefined entities and numeric
//! character references, refuses characters XML 1.0 does not allow (raw or
//! referenced, as Freeside's expat does), ignores whitespace between elements, keeps scalar
//! text exactly (after XML line-end normalisation), and stops at
//! [`MAX_DEPTH`] levels of nesting and [`MAX_VALUES`] values. It does not
//! interpret scalars beyond what the wire type demands (booleans to `1`/`0`,
//! base64 to text): numbers stay text, never range-checked.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::args::{args_from_params, ArgRules, Args};
use crate::error::{ArgsError, DecodeError, Position};
use crate::value::{ScalarType, Struct, Value, MAX_DEPTH, MAX_VALUES};

use super::charset;

/// A decoded `<methodCall>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodCall {
    /// The `<methodName>` text, surrounding whitespace removed (never empty).
    pub method_name: String,
    /// The `<param>` values in order; empty when `<params>` is empty or
    /// absent.
    pub params: Vec<Value>,
}

impl MethodCall {
    /// The argument map of this call under `rules` (see
    /// [`args_from_params`]).
    ///
    /// # Errors
    ///
    /// [`ArgsError::OddCount`] when `rules` refuse an odd flat list.
    pub fn into_args(self, rules: &ArgRules) -> Result<Args, ArgsError> {
        args_from_params(self.params, rules)
    }
}

/// Decodes an XML-RPC request body.
///
/// # Errors
///
/// Any [`DecodeError`]: bad encoding, DOCTYPE, malformed XML, a document that
/// is not a `<methodCall>` with a `<methodName>`, bad booleans or base64, or
/// a limit exceeded. All of them are `Client` faults.
pub fn decode_call(body: &[u8]) -> Result<MethodCall, DecodeError> {
    let text = charset::decode_text(body)?;
    Decoder::new(&text).run()
}

/// One open element, with what has been collected inside it so far.
enum Frame {
    MethodCall,
    MethodName {
        text: String,
    },
    Params,
    Param {
        value: Option<Value>,
    },
    /// A `<value>`: text until a type element opens; then that element's
    /// result.
    Value {
        text: String,
        typed: Option<Value>,
    },
    Scalar {
        ty: ScalarType,
        text: String,
    },
    Nil,
    Struct {
        members: Vec<(String, Value)>,
    },
    Member {
        name: Option<String>,
        value: Option<Value>,
    },
    Name {
        text: String,
    },
    Array {
        items: Vec<Value>,
        seen_data: bool,
    },
    Data {
        items: Vec<Value>,
    },
}

impl Frame {
    fn tag(&self) -> &'static str {
        match self {
            Frame::MethodCall => "methodCall",
            Frame::MethodName { .. } => "methodName",
            Frame::Params => "params",
            Frame::Param { .. } => "param",
            Frame::Value { .. } => "value",
            Frame::Scalar { ty, .. } => scalar_tag(*ty),
            Frame::Nil => "nil",
            Frame::Struct { .. } => "struct",
            Frame::Member { .. } => "member",
            Frame::Name { .. } => "name",
            Frame::Array { .. } => "array",
            Frame::Data { .. } => "data",
        }
    }
}

fn scalar_tag(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::String => "string",
        ScalarType::Untyped => "value",
        ScalarType::Int => "int",
        ScalarType::I4 => "i4",
        ScalarType::I8 => "i8",
        ScalarType::Double => "double",
        ScalarType::Boolean => "boolean",
        ScalarType::DateTime => "dateTime.iso8601",
        ScalarType::Base64 => "base64",
        ScalarType::Nil => "nil",
    }
}

/// What may appear inside a `<value>`.
enum TypeElement {
    Scalar(ScalarType),
    Nil,
    Struct,
    Array,
}

fn type_element(name: &str) -> Option<TypeElement> {
    let ty = match name {
        "string" => ScalarType::String,
        "int" => ScalarType::Int,
        "i4" => ScalarType::I4,
        "i8" => ScalarType::I8,
        "double" => ScalarType::Double,
        "boolean" => ScalarType::Boolean,
        "dateTime.iso8601" => ScalarType::DateTime,
        "base64" => ScalarType::Base64,
        "nil" => return Some(TypeElement::Nil),
        "struct" => return Some(TypeElement::Struct),
        "array" => return Some(TypeElement::Array),
        // Apache's extensions, under whatever prefix the client bound.
        _ => match name.split_once(':') {
            Some((_, "i8")) => ScalarType::I8,
            Some((_, "nil")) => return Some(TypeElement::Nil),
            _ => return None,
        },
    };
    Some(TypeElement::Scalar(ty))
}

struct Decoder<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    stack: Vec<Frame>,
    method_name: Option<String>,
    seen_params: bool,
    params: Vec<Value>,
    n_values: usize,
    /// Structs and arrays currently open.
    depth: usize,
    root_done: bool,
}

impl<'a> Decoder<'a> {
    fn new(text: &'a str) -> Decoder<'a> {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Decoder {
            text,
            reader,
            stack: Vec::new(),
            method_name: None,
            seen_params: false,
            params: Vec::new(),
            n_values: 0,
            depth: 0,
            root_done: false,
        }
    }

    fn run(mut self) -> Result<MethodCall, DecodeError> {
        if let Some(offset) = first_non_xml_char(self.text) {
            return Err(self.malformed("invalid character", offset));
        }
        let mut is_first_event = true;
        loop {
            let offset = self.offset();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(err) => {
                    let at = self.position(self.reader.error_position());
                    return Err(DecodeError::Malformed {
                        detail: err.to_string(),
                        at,
                    });
                }
            };
            match event {
                Event::Decl(_) if is_first_event => {}
                Event::Decl(_) => {
                    return Err(self.malformed("XML declaration not at start", offset))
                }
                Event::DocType(_) => {
                    return Err(DecodeError::Doctype {
                        at: self.position(offset),
                    })
                }
                Event::PI(_) | Event::Comment(_) => {}
                Event::Start(start) => self.open(&start, offset)?,
                Event::Empty(start) => {
                    self.open(&start, offset)?;
                    self.close(offset)?;
                }
                Event::End(_) => self.close(offset)?,
                Event::Text(raw) => {
                    let raw = String::from_utf8_lossy(&raw);
                    let normalised = normalise_line_ends(&raw);
                    let text = quick_xml::escape::unescape(&normalised)
                        .map_err(|err| self.bad_reference(err, offset))?;
                    if first_non_xml_char(&text).is_some() {
                        return Err(DecodeError::BadReference {
                            detail: "reference to a character XML does not allow".to_owned(),
                            at: self.position(offset),
                        });
                    }
                    self.push_text(&text, offset)?;
                }
                Event::CData(raw) => {
                    let raw = String::from_utf8_lossy(&raw);
                    self.push_text(&normalise_line_ends(&raw), offset)?;
                }
                Event::Eof => break,
            }
            is_first_event = false;
        }
        if !self.root_done {
            return Err(DecodeError::UnexpectedEnd {
                at: self.position(self.text.len()),
            });
        }
        let method_name = self.method_name.ok_or(DecodeError::MissingMethodName)?;
        Ok(MethodCall {
            method_name,
            params: self.params,
        })
    }

    fn offset(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn position(&self, offset: impl TryInto<usize>) -> Position {
        Position::of_offset(self.text, offset.try_into().unwrap_or(usize::MAX))
    }

    fn malformed(&self, detail: &str, offset: usize) -> DecodeError {
        DecodeError::Malformed {
            detail: detail.to_owned(),
            at: self.position(offset),
        }
    }

    /// Describes a reference that cannot be expanded; `offset` is where the
    /// text holding it starts.
    fn bad_reference(&self, err: EscapeError, offset: usize) -> DecodeError {
        let (detail, at) = match err {
            EscapeError::UnrecognizedEntity(range, name) => (
                format!("undefined entity &{name};"),
                offset + range.start.saturating_sub(1),
            ),
            EscapeError::UnterminatedEntity(range) => {
                ("unterminated reference".to_owned(), offset + range.start)
            }
            EscapeError::InvalidCharRef(err) => {
                (format!("invalid character reference ({err})"), offset)
            }
        };
        DecodeError::BadReference {
            detail,
            at: self.position(at),
        }
    }

    /// Handles a start tag (or the start of an empty-element tag).
    fn open(&mut self, start: &BytesStart<'_>, offset: usize) -> Result<(), DecodeError> {
        let text = self.text;
        let at = || Position::of_offset(text, offset);
        for attr in start.attributes() {
            if let Err(err) = attr {
                return Err(DecodeError::Malformed {
                    detail: err.to_string(),
                    at: at(),
                });
            }
        }
        let qname = start.name();
        let name = String::from_utf8_lossy(qname.as_ref());
        let unexpected = |parent: &'static str| DecodeError::UnexpectedElement {
            name: name.to_string(),
            parent,
            at: at(),
        };
        let Some(top) = self.stack.last_mut() else {
            if self.root_done {
                return Err(self.malformed("junk after document element", offset));
            }
            if name != "methodCall" {
                return Err(DecodeError::NotMethodCall {
                    name: name.into_owned(),
                });
            }
            self.stack.push(Frame::MethodCall);
            return Ok(());
        };
        let frame = match (top, name.as_ref()) {
            (Frame::MethodCall, "methodName")
                if self.method_name.is_none() && !self.seen_params =>
            {
                Frame::MethodName {
                    text: String::new(),
                }
            }
            (Frame::MethodCall, "params") if !self.seen_params => {
                self.seen_params = true;
                Frame::Params
            }
            (Frame::Params, "param") => Frame::Param { value: None },
            (Frame::Param { value: None }, "value")
            | (
                Frame::Member {
                    name: Some(_),
                    value: None,
                },
                "value",
            )
            | (Frame::Data { .. }, "value") => {
                self.n_values += 1;
                if self.n_values > MAX_VALUES {
                    return Err(DecodeError::TooManyValues { at: at() });
                }
                Frame::Value {
                    text: String::new(),
                    typed: None,
                }
            }
            (
                Frame::Value {
                    text: value_text,
                    typed: None,
                },
                _,
            ) => {
                let Some(element) = type_element(&name) else {
                    return Err(unexpected("value"));
                };
                if !is_xml_blank(value_text) {
                    return Err(DecodeError::UnexpectedText {
                        parent: "value",
                        at: at(),
                    });
                }
                // Whitespace around a type element is layout, not content.
                value_text.clear();
                match element {
                    TypeElement::Scalar(ty) => Frame::Scalar {
                        ty,
                        text: String::new(),
                    },
                    TypeElement::Nil => Frame::Nil,
                    TypeElement::Struct | TypeElement::Array => {
                        if self.depth >= MAX_DEPTH {
                            return Err(DecodeError::TooDeep { at: at() });
                        }
                        self.depth += 1;
                        if matches!(element, TypeElement::Struct) {
                            Frame::Struct {
                                members: Vec::new(),
                            }
                        } else {
                            Frame::Array {
                                items: Vec::new(),
                                seen_data: false,
                            }
                        }
                    }
                }
            }
            (Frame::Struct { .. }, "member") => Frame::Member {
                name: None,
                value: None,
            },
            (Frame::Member { name: None, .. }, "name") => Frame::Name {
                text: String::new(),
            },
            (Frame::Array { seen_data, .. }, "data") if !*seen_data => {
                *seen_data = true;
                Frame::Data { items: Vec::new() }
            }
            (top, _) => return Err(unexpected(top.tag())),
        };
        self.stack.push(frame);
        Ok(())
    }

    /// Handles text (entities already expanded) at the current place.
    fn push_text(&mut self, text: &str, offset: usize) -> Result<(), DecodeError> {
        let body = self.text;
        let Some(top) = self.stack.last_mut() else {
            if is_xml_blank(text) {
                return Ok(());
            }
            let detail = if self.root_done {
                "junk after document element"
            } else {
                "text before the root element"
            };
            return Err(self.malformed(detail, offset));
        };
        match top {
            Frame::MethodName { text: collected }
            | Frame::Name { text: collected }
            | Frame::Scalar {
                text: collected, ..
            }
            | Frame::Value {
                text: collected,
                typed: None,
            } => {
                collected.push_str(text);
                Ok(())
            }
            _ if is_xml_blank(text) => Ok(()),
            top => Err(DecodeError::UnexpectedText {
                parent: top.tag(),
                at: Position::of_offset(body, offset),
            }),
        }
    }

    /// Handles an end tag: finishes the top frame and hands its result to
    /// the frame below.
    fn close(&mut self, offset: usize) -> Result<(), DecodeError> {
        let Some(frame) = self.stack.pop() else {
            // quick-xml refuses an unmatched end tag before we see it.
            return Err(self.malformed("unmatched end tag", offset));
        };
        let text = self.text;
        let at = || Position::of_offset(text, offset);
        match frame {
            Frame::MethodCall => {
                self.root_done = true;
                if self.method_name.is_none() {
                    return Err(DecodeError::MissingMethodName);
                }
            }
            Frame::MethodName { text } => {
                let name = text.trim();
                if name.is_empty() {
                    return Err(DecodeError::MissingMethodName);
                }
                self.method_name = Some(name.to_owned());
            }
            Frame::Params => {}
            Frame::Param { value } => {
                let value = value.ok_or_else(|| DecodeError::MissingChild {
                    element: "param",
                    missing: "value",
                    at: at(),
                })?;
                self.params.push(value);
            }
            Frame::Value { text, typed } => {
                let value = typed.unwrap_or_else(|| Value::scalar(ScalarType::Untyped, text));
                self.attach_value(value);
            }
            Frame::Scalar { ty, text } => {
                let value = Value::scalar(ty, scalar_text(ty, text, at)?);
                self.attach_typed(value);
            }
            Frame::Nil => self.attach_typed(Value::scalar(ScalarType::Nil, "")),
            Frame::Struct { members } => {
                self.depth -= 1;
                self.attach_typed(Value::Struct(Struct::from_members(members)));
            }
            Frame::Member { name, value } => {
                let (Some(name), Some(value)) = (name, value) else {
                    return Err(DecodeError::MissingChild {
                        element: "member",
                        missing: "name> or <value",
                        at: at(),
                    });
                };
                if let Some(Frame::Struct { members }) = self.stack.last_mut() {
                    members.push((name, value));
                }
            }
            Frame::Name { text } => {
                if let Some(Frame::Member { name, .. }) = self.stack.last_mut() {
                    *name = Some(text);
                }
            }
            Frame::Array { items, .. } => {
                self.depth -= 1;
                self.attach_typed(Value::Array(items));
            }
            Frame::Data { items } => {
                if let Some(Frame::Array { items: array, .. }) = self.stack.last_mut() {
                    *array = items;
                }
            }
        }
        Ok(())
    }

    /// Gives a finished `<value>` to its `<param>`, `<member>` or `<data>`.
    fn attach_value(&mut self, value: Value) {
        match self.stack.last_mut() {
            Some(Frame::Param { value: slot } | Frame::Member { value: slot, .. }) => {
                *slot = Some(value);
            }
            Some(Frame::Data { items }) => items.push(value),
            // `open` pushes a value frame only under these three.
            _ => {}
        }
    }

    /// Gives a finished type element to its `<value>`.
    fn attach_typed(&mut self, value: Value) {
        if let Some(Frame::Value { typed, .. }) = self.stack.last_mut() {
            *typed = Some(value);
        }
    }
}

/// The text a scalar element stands for.
fn scalar_text(
    ty: ScalarType,
    text: String,
    at: impl Fn() -> Position,
) -> Result<String, DecodeError> {
    match ty {
        ScalarType::Boolean => {
            let trimmed = text.trim_matches(is_xml_space);
            if trimmed == "1" || trimmed.eq_ignore_ascii_case("true") {
                Ok("1".to_owned())
            } else if trimmed == "0" || trimmed.eq_ignore_ascii_case("false") {
                Ok("0".to_owned())
            } else {
                Err(DecodeError::InvalidBoolean { text, at: at() })
            }
        }
        ScalarType::Base64 => {
            let compact: Vec<u8> = text
                .bytes()
                .filter(|byte| !is_xml_space_byte(*byte))
                .collect();
            let bytes = BASE64
                .decode(compact)
                .map_err(|_| DecodeError::InvalidBase64 { at: at() })?;
            String::from_utf8(bytes).map_err(|_| DecodeError::Base64NotUtf8 { at: at() })
        }
        _ => Ok(text),
    }
}

/// Standard alphabet; padding optional, as clients differ.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_xml_space_byte(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_xml_blank(text: &str) -> bool {
    text.chars().all(is_xml_space)
}

/// Offset of the first character XML 1.0 does not allow (C0 controls other
/// than tab, newline and carriage return; U+FFFE; U+FFFF), as expat refuses
/// them too.
fn first_non_xml_char(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().find_map(|(idx, &byte)| {
        let is_bad = match byte {
            b'\t' | b'\n' | b'\r' => false,
            0x00..=0x1F => true,
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF => matches!(bytes.get(idx + 1..idx + 3), Some([0xBF, 0xBE | 0xBF])),
            _ => false,
        };
        is_bad.then_some(idx)
    })
}

/// XML line-end normalisation (`\r\n` and lone `\r` become `\n`), applied to
/// raw text before references are expanded, so `&#13;` still yields `\r`.
fn normalise_line_ends(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('\r') {
        return std::borrow::Cow::Borrowed(raw);
    }
    std::borrow::Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
}
