//! The XML of MagicMail replies: a lenient reader that follows the rules
//! Freeside's client relies on (XML::Simple: the root is dropped, an
//! attribute reads like a text-only child, lists are keyed by the first of
//! `name`, `key`, `id`; spec 2.5), and a small writer for the emulator.
//!
//! This module knows shapes only; which element each call expects is the
//! client's business.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{Error, Result, UNKNOWN_ERROR};

/// One XML element: its name, attributes, child elements and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The tag name.
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The concatenated character data directly inside (not trimmed).
    pub text: String,
}

impl Element {
    /// An element with no content.
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_string(),
            ..Element::default()
        }
    }

    /// An element holding only `text`.
    pub fn text(name: &str, text: &str) -> Element {
        Element {
            name: name.to_string(),
            text: text.to_string(),
            ..Element::default()
        }
    }

    /// Adds a child and returns `self` (builder style).
    pub fn with(mut self, child: Element) -> Element {
        self.children.push(child);
        self
    }

    /// Adds a text-only child unless `value` is empty.
    pub fn with_field(mut self, name: &str, value: &str) -> Element {
        if !value.is_empty() {
            self.children.push(Element::text(name, value));
        }
        self
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of this element as XML::Simple reads a leaf: whitespace-only
    /// content is empty, anything else is kept untrimmed.
    pub fn leaf_text(&self) -> &str {
        if self.text.trim().is_empty() {
            ""
        } else {
            &self.text
        }
    }

    /// The element's fields: attributes and text-only children, the first
    /// occurrence of each name winning. A child with element children of
    /// its own is not a field (`nested` names it).
    pub fn record(&self) -> Record {
        let mut fields = BTreeMap::new();
        let mut nested = Vec::new();
        for (name, value) in &self.attrs {
            fields.entry(name.clone()).or_insert_with(|| value.clone());
        }
        for child in &self.children {
            if child.children.is_empty() {
                fields
                    .entry(child.name.clone())
                    .or_insert_with(|| child.leaf_text().to_string());
            } else if !fields.contains_key(&child.name) {
                nested.push(child.name.clone());
            }
        }
        Record { fields, nested }
    }

    /// Serialises the element (no declaration).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(&quick_xml::escape::escape(value.as_str()));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&quick_xml::escape::escape(self.text.as_str()));
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// The fields of one object, as XML::Simple would give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Field name to text (an empty element reads as `""`).
    pub fields: BTreeMap<String, String>,
    /// Names of children that hold elements, so are not text fields.
    pub nested: Vec<String>,
}

impl Record {
    /// The text of field `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The text of field `name`, or `""`.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// The text of field `name`, which must be plain text.
    ///
    /// # Errors
    /// `Protocol` when the field is missing or holds elements.
    pub fn required(&self, what: &str, name: &str) -> Result<String> {
        if let Some(value) = self.get(name) {
            return Ok(value.to_string());
        }
        if self.nested.iter().any(|n| n == name) {
            return Err(Error::Protocol(format!(
                "{what} field {name} is not plain text"
            )));
        }
        Err(Error::Protocol(format!("{what} without {name}")))
    }

    /// The text of optional field `name` (`None` when absent).
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
}

/// Parses a whole document and returns its root element.
///
/// # Errors
/// A description of what is not well-formed.
pub fn parse_document(body: &str) -> std::result::Result<Element, String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                stack.push(open_element(&start)?);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                let element = open_element(&start)?;
                close_element(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start.
                let element = stack.pop().ok_or("end tag without a start tag")?;
                close_element(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|e| e.to_string())?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(data) => {
                let data = String::from_utf8_lossy(&data.into_inner()).into_owned();
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&data),
                    None => return Err("CDATA outside the root element".into()),
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("document ends inside <{}>", open.name));
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn open_element(start: &quick_xml::events::BytesStart<'_>) -> std::result::Result<Element, String> {
    let mut element = Element::new(&String::from_utf8_lossy(start.name().as_ref()));
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let value = attr.unescape_value().map_err(|e| e.to_string())?;
        element.attrs.push((
            String::from_utf8_lossy(attr.key.as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(element)
}

fn close_element(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

/// A successful reply: the children of the dropped root (spec 2.4, 2.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// The root's children; empty for an empty body.
    pub items: Vec<Element>,
}

impl Reply {
    /// Reads a reply whose status is already known to be 200, 400 or 500.
    ///
    /// # Errors
    /// `Api` for an `<error>` element (the first one), `Malformed` for a body
    /// that is not well-formed XML, `Protocol` for a 400/500 without
    /// `<error>` (B-6).
    pub fn from_body(status: u16, body: &str) -> Result<Reply> {
        if body.trim().is_empty() {
            return if status == 200 {
                Ok(Reply::default())
            } else {
                Err(Error::Protocol(format!("{UNKNOWN_ERROR}, no result found")))
            };
        }
        let root = parse_document(body).map_err(Error::Malformed)?;
        if let Some(error) = root.child("error") {
            let (code, message) = if error.children.is_empty() && error.attrs.is_empty() {
                (String::new(), error.leaf_text().to_string())
            } else {
                let record = error.record();
                (record.text("code"), record.text("message"))
            };
            return Err(Error::Api { code, message });
        }
        if status != 200 {
            return Err(Error::Protocol(format!("{UNKNOWN_ERROR}, no result found")));
        }
        Ok(Reply {
            items: root.children,
        })
    }

    /// The single object named `name` directly under the root.
    pub fn object(&self, name: &str) -> Option<Record> {
        self.items
            .iter()
            .find(|e| e.name == name)
            .map(Element::record)
    }

    /// The single object named `name`, which must be there.
    ///
    /// # Errors
    /// `Protocol` when it is missing.
    pub fn require_object(&self, name: &str) -> Result<Record> {
        self.object(name)
            .ok_or_else(|| Error::Protocol(format!("{UNKNOWN_ERROR}, no {name} in the response")))
    }

    /// The list `container` of `item`s, keyed by the first of `name`,
    /// `key`, `id` present in each item (that field is removed from the
    /// item). A missing container is an empty list.
    ///
    /// # Errors
    /// `Protocol` when an item has no key or its key is not plain text.
    pub fn list(&self, container: &str, item: &str) -> Result<BTreeMap<String, Record>> {
        let mut out = BTreeMap::new();
        let Some(list) = self.items.iter().find(|e| e.name == container) else {
            return Ok(out);
        };
        for element in list.children.iter().filter(|c| c.name == item) {
            let mut record = element.record();
            let key_name = ["name", "key", "id"]
                .into_iter()
                .find(|k| record.fields.contains_key(*k) || record.nested.iter().any(|n| n == k));
            let Some(key_name) = key_name else {
                return Err(Error::Protocol(format!(
                    "{UNKNOWN_ERROR}, a {item} in {container} has no name, key or id"
                )));
            };
            let Some(key) = record.fields.remove(key_name) else {
                return Err(Error::Protocol(format!(
                    "{item} field {key_name} is not plain text"
                )));
            };
            out.insert(key, record);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Result<Reply> {
        Reply::from_body(200, body)
    }

    #[test]
    fn attributes_and_child_elements_read_alike() {
        let a = reply(r#"<r><user id="ADA" master_user="Y"/></r>"#).unwrap();
        let b = reply("<r><user><id>ADA</id><master_user>Y</master_user></user></r>").unwrap();
        assert_eq!(a.object("user"), b.object("user"));
        assert_eq!(a.object("user").unwrap().get("master_user"), Some("Y"));
    }

    #[test]
    fn root_name_is_ignored_and_declaration_skipped() {
        let r =
            reply("<?xml version=\"1.0\"?>\n<anything><account><id>X1</id></account></anything>\n")
                .unwrap();
        assert_eq!(r.object("account").unwrap().get("id"), Some("X1"));
    }

    #[test]
    fn text_is_not_trimmed_but_whitespace_only_is_empty() {
        let r = reply("<r><user><id> ADA </id><memo>   </memo><first_name/></user></r>").unwrap();
        let user = r.object("user").unwrap();
        assert_eq!(user.get("id"), Some(" ADA "));
        assert_eq!(user.get("memo"), Some(""));
        assert_eq!(user.get("first_name"), Some(""));
    }

    #[test]
    fn entities_and_cdata_are_read() {
        let r = reply("<r><user><id>A&amp;B</id><memo><![CDATA[<x>]]></memo></user></r>").unwrap();
        let user = r.object("user").unwrap();
        assert_eq!(user.get("id"), Some("A&B"));
        assert_eq!(user.get("memo"), Some("<x>"));
    }

    #[test]
    fn lists_are_keyed_by_name_then_key_then_id() {
        let r = reply(
            "<r><packages><package><name>EMAIL</name><id>7</id></package>\
             <package key=\"K\"><id>8</id></package></packages>\
             <users><user><id>ADA</id><master_user>Y</master_user></user></users></r>",
        )
        .unwrap();
        let packages = r.list("packages", "package").unwrap();
        assert_eq!(packages.keys().collect::<Vec<_>>(), ["EMAIL", "K"]);
        assert_eq!(packages["EMAIL"].get("name"), None, "key field removed");
        assert_eq!(packages["EMAIL"].get("id"), Some("7"));
        let users = r.list("users", "user").unwrap();
        assert_eq!(users["ADA"].get("master_user"), Some("Y"));
    }

    #[test]
    fn empty_and_missing_lists_are_empty() {
        assert!(reply("<r><users/></r>")
            .unwrap()
            .list("users", "user")
            .unwrap()
            .is_empty());
        assert!(reply("<r/>")
            .unwrap()
            .list("users", "user")
            .unwrap()
            .is_empty());
        assert!(reply("").unwrap().list("users", "user").unwrap().is_empty());
    }

    #[test]
    fn an_item_without_a_key_is_a_protocol_error() {
        let err = reply("<r><users><user><status>active</status></user></users></r>")
            .unwrap()
            .list("users", "user")
            .unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }

    #[test]
    fn a_nested_field_is_not_text() {
        let r = reply("<r><user><id>ADA</id><account><id>X</id></account></user></r>").unwrap();
        let user = r.object("user").unwrap();
        assert!(matches!(
            user.required("user", "account"),
            Err(Error::Protocol(_))
        ));
        assert_eq!(user.required("user", "id").unwrap(), "ADA");
    }

    #[test]
    fn the_first_error_wins_whatever_the_status() {
        for status in [200, 400, 500] {
            let err = Reply::from_body(
                status,
                "<r><error><code>a.b</code><message>first</message></error>\
                 <error><code>c</code></error></r>",
            )
            .unwrap_err();
            assert_eq!(err.to_string(), "a.b: first");
        }
    }

    #[test]
    fn empty_bodies_succeed_only_with_200() {
        assert_eq!(Reply::from_body(200, "  \n").unwrap(), Reply::default());
        for status in [400, 500] {
            let err = Reply::from_body(status, "").unwrap_err();
            assert_eq!(err.to_string(), "Unknown error, no result found");
            let err = Reply::from_body(status, "<r><account><id>X</id></account></r>").unwrap_err();
            assert!(matches!(err, Error::Protocol(_)));
        }
    }

    #[test]
    fn bodies_that_are_not_xml_are_malformed() {
        for body in [
            "Internal Server Error",
            "<r><user><id>ADA</id></user>",
            "<r><user></r>",
            "<r/><r/>",
            "<r>&bogus;</r>",
            "<html><body><p>oops</body></html>",
        ] {
            let err = reply(body).unwrap_err();
            assert!(matches!(err, Error::Malformed(_)), "{body}: {err:?}");
        }
    }

    #[test]
    fn writer_escapes_and_round_trips() {
        let element = Element::new("response").with(
            Element::new("user")
                .with_field("id", "A<&>\"B")
                .with_field("memo", "")
                .with(Element::new("empty")),
        );
        let xml = element.to_xml();
        assert_eq!(
            xml,
            "<response><user><id>A&lt;&amp;&gt;&quot;B</id><empty/></user></response>"
        );
        assert_eq!(parse_document(&xml).unwrap(), element);
    }
}
