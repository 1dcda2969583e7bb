//! Fault injection (spec 5.5): a fault is a match (which calls) and an
//! effect (what goes wrong). Faults are planned from tests through
//! `SimHandle::add_fault` or over HTTP at `POST /_sim/faults` (JSON of
//! `Fault`), and are checked in the order they were added; the first one
//! whose match fires decides the reply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::xml::Element;

/// The id `add_fault` returns, also recorded in the request log.
pub type FaultId = u64;

/// A planned fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Which calls it hits.
    #[serde(rename = "match", default)]
    pub matcher: FaultMatch,
    /// What happens to them.
    pub effect: FaultEffect,
}

/// Which calls a fault hits. Empty criteria match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultMatch {
    /// The spec's operation name (`add_user`, `set_account_status`, …).
    pub op: Option<String>,
    /// `GET` or `POST`.
    pub method: Option<String>,
    /// `account`, `user`, `user_package`, `emailaddress` or `domain`.
    pub resource: Option<String>,
    /// The decoded path id, ignoring ASCII case.
    pub id: Option<String>,
    /// The `action` parameter; `""` matches calls without one.
    pub action: Option<String>,
    /// Parameters that must be present with these values.
    pub params: BTreeMap<String, String>,
    /// Which of the matching calls fire.
    pub when: When,
}

/// Which of the matching calls a fault fires on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Every matching call.
    #[default]
    Every,
    /// Only the n-th matching call (1-based).
    Nth(u32),
    /// The first n matching calls.
    FirstN(u32),
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultEffect {
    /// Not applied; an `<error>` with this code and message, sent with this
    /// status (200, 400 or 500).
    ApiError {
        /// The error code.
        code: String,
        /// The message.
        message: String,
        /// The HTTP status.
        status: u16,
    },
    /// Not applied; any status with this literal body (401, 404, 502, or
    /// 400/500/200 with an empty body).
    Status {
        /// The HTTP status.
        status: u16,
        /// The body, sent as is.
        body: String,
    },
    /// Not applied; a literal body with a content type (malformed or
    /// truncated XML, HTML, plain text).
    Body {
        /// The HTTP status.
        status: u16,
        /// The body, sent as is.
        body: String,
        /// The `Content-Type`.
        content_type: String,
    },
    /// Applied; every element with this name is dropped from the reply.
    DropElement {
        /// The element name (`status`, `master_user`, `id`, …).
        name: String,
    },
    /// Applied; the first element with this name gets this text (`""`
    /// makes it an empty element, e.g. `<master_user/>`).
    SetText {
        /// The element name.
        name: String,
        /// Its new text.
        text: String,
    },
    /// Applied; list items whose `name` or `id` equals `key` (ignoring
    /// case) are left out of the reply.
    OmitItem {
        /// The item's key, e.g. a package name.
        key: String,
    },
    /// Applied after a pause, then answered normally.
    Delay {
        /// The pause in milliseconds.
        ms: u64,
    },
    /// Not applied; never answered (the client times out).
    Hang,
    /// Not applied; the connection is closed without a reply.
    Close,
    /// Not applied; the connection is reset (RST) without a reply.
    Reset,
    /// Applied; the reply is sent with chunked transfer encoding.
    Chunked,
    /// Applied; the reply's status line says `HTTP/1.0`.
    Http10,
    /// Applied, then `then` decides the reply (an error, `hang` for a
    /// timeout, `close` or `reset` for a dropped connection).
    ApplyThenFail {
        /// The reply after the change is committed.
        then: Box<FaultEffect>,
    },
}

impl FaultEffect {
    /// An API error with status 400.
    pub fn api_error(code: &str, message: &str) -> FaultEffect {
        FaultEffect::ApiError {
            code: code.to_string(),
            message: message.to_string(),
            status: 400,
        }
    }

    /// True when the call's change is committed before the reply.
    pub fn applies(&self) -> bool {
        !matches!(
            self,
            FaultEffect::ApiError { .. }
                | FaultEffect::Status { .. }
                | FaultEffect::Body { .. }
                | FaultEffect::Hang
                | FaultEffect::Close
                | FaultEffect::Reset
        )
    }
}

impl Fault {
    /// A fault on every call of operation `op` (the names of spec 3).
    pub fn on(op: &str, effect: FaultEffect) -> Fault {
        Fault {
            matcher: FaultMatch {
                op: Some(op.to_string()),
                ..FaultMatch::default()
            },
            effect,
        }
    }

    /// A fault on every API call.
    pub fn on_every_call(effect: FaultEffect) -> Fault {
        Fault {
            matcher: FaultMatch::default(),
            effect,
        }
    }

    /// Restricts the fault to calls on this path id.
    pub fn id(mut self, id: &str) -> Fault {
        self.matcher.id = Some(id.to_string());
        self
    }

    /// Restricts the fault to calls carrying this parameter value.
    pub fn param(mut self, name: &str, value: &str) -> Fault {
        self.matcher
            .params
            .insert(name.to_string(), value.to_string());
        self
    }

    /// Fires only on the n-th matching call (1-based).
    pub fn nth(mut self, n: u32) -> Fault {
        self.matcher.when = When::Nth(n);
        self
    }

    /// Fires on the first n matching calls only.
    pub fn first(mut self, n: u32) -> Fault {
        self.matcher.when = When::FirstN(n);
        self
    }
}

/// The facts of a call that faults match on.
pub(crate) struct CallFacts<'a> {
    pub op: &'a str,
    pub method: &'a str,
    pub resource: &'a str,
    pub id: Option<&'a str>,
    pub params: &'a BTreeMap<String, String>,
}

impl FaultMatch {
    pub(crate) fn matches(&self, call: &CallFacts<'_>) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let action = call.params.get("action").map(String::as_str).unwrap_or("");
        eq(&self.op, call.op)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(call.method))
            && eq(&self.resource, call.resource)
            && eq(&self.action, action)
            && self
                .id
                .as_deref()
                .is_none_or(|want| call.id.is_some_and(|id| id.eq_ignore_ascii_case(want)))
            && self
                .params
                .iter()
                .all(|(k, v)| call.params.get(k) == Some(v))
    }

    /// Whether the `count`-th matching call (1-based) fires.
    pub(crate) fn fires(&self, count: u32) -> bool {
        match self.when {
            When::Every => true,
            When::Nth(n) => count == n,
            When::FirstN(n) => count <= n,
        }
    }
}

/// Changes a successful reply as a shape effect says.
pub(crate) fn reshape(root: &mut Element, effect: &FaultEffect) {
    match effect {
        FaultEffect::DropElement { name } => drop_elements(root, name),
        FaultEffect::SetText { name, text } => {
            if let Some(element) = find_first(root, name) {
                element.children.clear();
                element.text = text.clone();
            }
        }
        FaultEffect::OmitItem { key } => omit_items(root, key),
        FaultEffect::ApplyThenFail { then } => reshape(root, then),
        _ => {}
    }
}

fn drop_elements(element: &mut Element, name: &str) {
    element.children.retain(|c| c.name != name);
    for child in &mut element.children {
        drop_elements(child, name);
    }
}

fn find_first<'a>(element: &'a mut Element, name: &str) -> Option<&'a mut Element> {
    for child in &mut element.children {
        if child.name == name {
            return Some(child);
        }
        if let Some(found) = find_first(child, name) {
            return Some(found);
        }
    }
    None
}

fn omit_items(root: &mut Element, key: &str) {
    for list in &mut root.children {
        list.children.retain(|item| {
            !["name", "id"].iter().any(|field| {
                item.child(field)
                    .is_some_and(|f| f.text.eq_ignore_ascii_case(key))
            })
        });
    }
}
