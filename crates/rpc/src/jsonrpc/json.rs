//! A strict JSON (RFC 8259) reader that keeps number literals as written.
//!
//! Bursar needs the text of a number exactly as the client wrote it (`54.30`
//! stays `54.30`, `12345678901234567890` loses nothing), which a float-based
//! reader cannot give, and serde_json's `arbitrary_precision` would change
//! number handling for every crate of the workspace. This reader is small,
//! recursive only up to [`MAX_DOCUMENT_DEPTH`], and never panics.

/// A parsed JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number literal as written (valid JSON number syntax).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order, duplicates kept (the caller decides).
    Object(Vec<(String, Json)>),
}

/// Deepest nesting of arrays and objects in a whole body (a batch, a
/// request, its params and 32 levels inside them fit easily).
pub(crate) const MAX_DOCUMENT_DEPTH: usize = 64;

/// Most values in a whole body; a 1 MiB body of `[0,0,…]` stays below it.
pub(crate) const MAX_DOCUMENT_VALUES: usize = 600_000;

/// Why a body is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub(crate) detail: &'static str,
    pub(crate) offset: usize,
}

/// Parses a whole body (UTF-8, optional byte order mark).
pub(crate) fn parse(body: &[u8]) -> Result<Json, JsonError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if let Err(err) = std::str::from_utf8(body) {
        return Err(JsonError {
            detail: "invalid UTF-8",
            offset: err.valid_up_to(),
        });
    }
    let mut parser = Parser {
        bytes: body,
        pos: 0,
        depth: 0,
        n_values: 0,
    };
    parser.skip_blank();
    let value = parser.value()?;
    parser.skip_blank();
    if parser.pos != body.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    n_values: usize,
}

impl Parser<'_> {
    fn error(&self, detail: &'static str) -> JsonError {
        JsonError {
            detail,
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8], value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        self.n_values += 1;
        if self.n_values > MAX_DOCUMENT_VALUES {
            return Err(self.error("too many values"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_literal(b"null", Json::Null),
            Some(b't') => self.expect_literal(b"true", Json::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[') => self.nested(Parser::array),
            Some(b'{') => self.nested(Parser::object),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Json, JsonError>,
    ) -> Result<Json, JsonError> {
        if self.depth >= MAX_DOCUMENT_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn array(&mut self) -> Result<Json, JsonError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_blank();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_blank();
            items.push(self.value()?);
            self.skip_blank();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self) -> Result<Json, JsonError> {
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_blank();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_blank();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let name = self.string()?;
            self.skip_blank();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_blank();
            members.push((name, self.value()?));
            self.skip_blank();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            let run_len = self.bytes[self.pos..]
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .ok_or(JsonError {
                    detail: "unterminated string",
                    offset: self.bytes.len(),
                })?;
            let run = &self.bytes[self.pos..self.pos + run_len];
            // The body was checked to be UTF-8 and the run stops only at
            // ASCII bytes, so it is whole characters.
            out.push_str(std::str::from_utf8(run).map_err(|_| self.error("invalid UTF-8"))?);
            self.pos += run_len;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    /// Reads an escape after its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(kind) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("lone surrogate"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone surrogate"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate")),
                    _ => first,
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid escape"))?
            }
            _ => return Err(self.error("invalid escape")),
        };
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid escape"))?;
        let mut code = 0;
        for &digit in digits {
            let nibble = char::from(digit)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid escape"))?;
            code = code * 16 + nibble;
        }
        self.pos += 4;
        Ok(code)
    }

    fn number(&mut self) -> Result<String, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        let literal = &self.bytes[start..self.pos];
        Ok(literal.iter().map(|&byte| char::from(byte)).collect())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

/// Largest exponent shift written out in plain notation; beyond it a number
/// would be hundreds of zeros, which no argument needs.
const MAX_PLAIN_SHIFT: i64 = 400;

/// A number literal in plain decimal notation, digits kept as written:
/// `54.30` → `54.30`, `1e3` → `1000`, `1.5E-3` → `0.0015`, `-0` → `-0`.
/// `None` when the exponent is out of range.
pub(crate) fn plain_decimal(literal: &str) -> Option<String> {
    let Some(exponent_idx) = literal.find(['e', 'E']) else {
        return Some(literal.to_owned());
    };
    let (mantissa, exponent) = (&literal[..exponent_idx], &literal[exponent_idx + 1..]);
    let exponent: i64 = exponent.parse().ok()?;
    if exponent.abs() > MAX_PLAIN_SHIFT {
        return None;
    }
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int_part}{frac_part}");
    // Position of the decimal point within `digits` after the shift.
    let point = i64::try_from(int_part.len()).ok()? + exponent;
    let n_digits = i64::try_from(digits.len()).ok()?;
    let mut plain = if point <= 0 {
        let n_zeros = usize::try_from(-point).ok()?;
        format!("0.{}{digits}", "0".repeat(n_zeros))
    } else if point >= n_digits {
        let n_zeros = usize::try_from(point - n_digits).ok()?;
        format!("{digits}{}", "0".repeat(n_zeros))
    } else {
        let point = usize::try_from(point).ok()?;
        format!("{}.{}", &digits[..point], &digits[point..])
    };
    // Leading zeros of the integer part, which the shift may have brought
    // in (`0.5e1` → `05`), go; one zero stays before a point.
    let int_len = plain.find('.').unwrap_or(plain.len());
    let n_leading_zeros = plain[..int_len.saturating_sub(1)]
        .bytes()
        .take_while(|&byte| byte == b'0')
        .count();
    plain.drain(..n_leading_zeros);
    Some(format!("{sign}{plain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str, expected: Result<Json, &str>) {
        let got = parse(body.as_bytes()).map_err(|err| err.detail);
        assert_eq!(got, expected, "{body}");
    }

    fn num(literal: &str) -> Json {
        Json::Number(literal.to_owned())
    }

    #[test]
    fn numbers_keep_their_literal() {
        check(
            "[0, -0, 54.30, 12345678901234567890123, 1e3, -2.5E-2]",
            Ok(Json::Array(vec![
                num("0"),
                num("-0"),
                num("54.30"),
                num("12345678901234567890123"),
                num("1e3"),
                num("-2.5E-2"),
            ])),
        );
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x1", "NaN", "Infinity"] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_unescape_and_refuse_lone_surrogates() {
        check(
            r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
            Ok(Json::String("a\"\\/\u{8}\u{C}\n\r\té😀".to_owned())),
        );
        check(r#""\ud800""#, Err("lone surrogate"));
        check(r#""\udc00x""#, Err("lone surrogate"));
        check("\"a\nb\"", Err("control character in string"));
        check("\"abc", Err("unterminated string"));
    }

    #[test]
    fn structure_errors() {
        check("", Err("unexpected end of input"));
        check("{} x", Err("trailing characters"));
        check("[1,]", Err("expected a value"));
        check("{\"a\" 1}", Err("expected ':'"));
        check("{1:2}", Err("expected a member name"));
        check("tru", Err("invalid literal"));
        check(&"[".repeat(65), Err("nested too deeply"));
        check(
            &format!("{}{}", "[".repeat(64), "]".repeat(64)),
            Ok(nested_arrays(64)),
        );
    }

    fn nested_arrays(depth: usize) -> Json {
        let mut value = Json::Array(vec![]);
        for _ in 1..depth {
            value = Json::Array(vec![value]);
        }
        value
    }

    #[test]
    fn plain_decimal_never_uses_exponents() {
        let cases = [
            ("181318", "181318"),
            ("54.3", "54.3"),
            ("54.30", "54.30"),
            ("1e3", "1000"),
            ("1E+2", "100"),
            ("1.5e-3", "0.0015"),
            ("-1.5e1", "-15"),
            ("1.50e1", "15.0"),
            ("0.5e1", "5"),
            ("0e5", "0"),
            ("0.0e0", "0.0"),
            ("123e-1", "12.3"),
            ("123e-3", "0.123"),
            ("123e-5", "0.00123"),
            ("-0", "-0"),
        ];
        for (literal, expected) in cases {
            assert_eq!(
                plain_decimal(literal).as_deref(),
                Some(expected),
                "{literal}"
            );
        }
        assert_eq!(plain_decimal("1e401"), None);
        assert_eq!(plain_decimal("1e99999999999999999999"), None);
    }
}
