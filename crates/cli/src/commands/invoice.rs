//! `bursar invoice show N --format text|html|pdf`: one invoice rendered to
//! stdout, from the store's `InvoiceDocument`.
//!
//! - text: fixed-width, for terminals and e-mail bodies;
//! - html: a whole page from a minijinja template, the built-in
//!   `invoice.html.j2` unless the operator put their own `invoice.html.j2`
//!   beside `bursar.toml` (values are always HTML-escaped);
//! - pdf: A4 pages written with pdf-writer in the PDF standard fonts
//!   (Helvetica), which every reader has, so nothing is embedded.
//!
//! Dates are shown on the billing calendar's time zone.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use bursar_core::Money;
use bursar_store::invoice_doc::InvoiceDocument;
use jiff::tz::TimeZone;
use minijinja::{AutoEscape, Environment, Value};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::runtime;

/// The built-in HTML template.
const DEFAULT_TEMPLATE: &str = include_str!("invoice.html.j2");
/// The operator's template, looked for beside the configuration file.
pub const TEMPLATE_FILE: &str = "invoice.html.j2";

/// One priced row of the document.
#[derive(Debug, Clone)]
struct Row {
    description: String,
    period: String,
    quantity: i64,
    amount: Money,
    details: Vec<String>,
}

/// A payment or credit row.
#[derive(Debug, Clone)]
struct Paid {
    description: String,
    date: String,
    amount: Money,
}

/// What every format shows.
#[derive(Debug, Clone)]
struct View {
    invnum: i64,
    date: String,
    custnum: i64,
    name: String,
    company: String,
    address: Vec<String>,
    rows: Vec<Row>,
    total: Money,
    previous_balance: Money,
    payments: Vec<Paid>,
    owed: Money,
    balance: Money,
}

fn day(t: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.to_zoned(zone.clone()).strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| t.to_string())
}

fn view(document: &InvoiceDocument, zone: &TimeZone) -> View {
    let mut rows = Vec::new();
    for line in &document.lines {
        let stored = &line.line;
        let period = match (stored.sdate, stored.edate) {
            (Some(start), Some(end)) => format!("{} to {}", day(start, zone), day(end, zone)),
            _ => String::new(),
        };
        if stored.pkgnum == 0 {
            rows.push(Row {
                description: line.description.clone(),
                period: String::new(),
                quantity: 1,
                amount: stored.setup + stored.recur,
                details: Vec::new(),
            });
            continue;
        }
        if stored.setup != Money::ZERO {
            rows.push(Row {
                description: if stored.sdate.is_some() {
                    format!("{} (setup)", line.description)
                } else {
                    line.description.clone()
                },
                period: String::new(),
                quantity: stored.quantity,
                amount: stored.setup,
                details: Vec::new(),
            });
        }
        if stored.recur != Money::ZERO || stored.setup == Money::ZERO {
            rows.push(Row {
                description: line.description.clone(),
                period,
                quantity: stored.quantity,
                amount: stored.recur,
                details: Vec::new(),
            });
        }
        if let Some(last) = rows.last_mut() {
            last.details = line.details.clone();
        }
    }
    let location = &document.bill_location;
    let mut address = vec![location.address1.clone()];
    if !location.address2.is_empty() {
        address.push(location.address2.clone());
    }
    let place = [
        location.city.as_str(),
        &format!("{} {}", location.state, location.zip),
    ]
    .iter()
    .map(|s| s.trim())
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    address.push(place);
    address.push(location.country.clone());
    address.retain(|l| !l.trim().is_empty());
    View {
        invnum: document.invoice.invnum,
        date: day(document.invoice.date, zone),
        custnum: document.customer.custnum,
        name: document.customer.name(),
        company: document.customer.company.clone(),
        address,
        rows,
        total: document.invoice.charged,
        previous_balance: document.invoice.previous_balance,
        payments: document
            .payments
            .iter()
            .map(|p| Paid {
                description: p.description.clone(),
                date: day(p.date, zone),
                amount: p.amount,
            })
            .collect(),
        owed: document.owed,
        balance: document.balance,
    }
}

fn text(view: &View) -> String {
    let mut out = String::new();
    let head = format!("INVOICE #{}", view.invnum);
    let date = format!("Date: {}", view.date);
    out.push_str(&format!("{head}{date:>width$}\n", width = 78 - head.len()));
    out.push_str(&format!("Customer #{}\n\n", view.custnum));
    out.push_str(&format!("Bill to: {}\n", view.name));
    if !view.company.is_empty() {
        out.push_str(&format!("         {}\n", view.company));
    }
    for line in &view.address {
        out.push_str(&format!("         {line}\n"));
    }
    out.push('\n');
    out.push_str(&format!(
        "{:<34} {:<26} {:>4} {:>11}\n",
        "Description", "Period", "Qty", "Amount"
    ));
    out.push_str(&format!("{}\n", "-".repeat(78)));
    for row in &view.rows {
        out.push_str(&format!(
            "{:<34} {:<26} {:>4} {:>11}\n",
            truncate(&row.description, 34),
            row.period,
            row.quantity,
            row.amount.to_string()
        ));
        for detail in &row.details {
            out.push_str(&format!("    {}\n", truncate(detail, 74)));
        }
    }
    out.push_str(&format!("{}\n", "-".repeat(78)));
    out.push_str(&format!("{:>66} {:>11}\n", "Total", view.total.to_string()));
    for payment in &view.payments {
        out.push_str(&format!(
            "{:<50} {:>15} {:>11}\n",
            truncate(&payment.description, 50),
            payment.date,
            format!("-{}", payment.amount)
        ));
    }
    out.push_str(&format!(
        "{:>66} {:>11}\n",
        "Still owed on this invoice",
        view.owed.to_string()
    ));
    out.push_str(&format!("\nAccount balance: {}\n", view.balance));
    out
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        text.chars()
            .take(width.saturating_sub(1))
            .chain(['~'])
            .collect()
    }
}

fn html(view: &View, template: &str) -> Result<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    let template = env
        .template_from_str(template)
        .context("the invoice template does not parse")?;
    let rows: Value = view
        .rows
        .iter()
        .map(|row| {
            Value::from_pairs([
                ("description", Value::from(row.description.as_str())),
                ("period", Value::from(row.period.as_str())),
                ("quantity", Value::from(row.quantity)),
                ("amount", Value::from(row.amount.to_string())),
                (
                    "details",
                    row.details
                        .iter()
                        .map(|d| Value::from(d.as_str()))
                        .collect(),
                ),
            ])
        })
        .collect();
    let payments: Value = view
        .payments
        .iter()
        .map(|p| {
            Value::from_pairs([
                ("description", Value::from(p.description.as_str())),
                ("date", Value::from(p.date.as_str())),
                ("amount", Value::from(p.amount.to_string())),
            ])
        })
        .collect();
    let context = Value::from_pairs([
        ("invnum", Value::from(view.invnum)),
        ("date", Value::from(view.date.as_str())),
        ("custnum", Value::from(view.custnum)),
        ("name", Value::from(view.name.as_str())),
        ("company", Value::from(view.company.as_str())),
        (
            "address",
            view.address
                .iter()
                .map(|l| Value::from(l.as_str()))
                .collect(),
        ),
        ("rows", rows),
        ("total", Value::from(view.total.to_string())),
        (
            "previous_balance",
            Value::from(view.previous_balance.to_string()),
        ),
        ("payments", payments),
        ("owed", Value::from(view.owed.to_string())),
        ("balance", Value::from(view.balance.to_string())),
    ]);
    template
        .render(context)
        .context("the invoice template failed to render")
}

/// Text in the PDF standard fonts' WinAnsi encoding (Latin-1 plus a few
/// punctuation marks); other characters become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            _ => b'?',
        })
        .collect()
}

/// Width of an amount in Helvetica at `size` (digits are all 556/1000 em).
fn amount_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' | '$' => 556,
            '.' | ',' | ' ' => 278,
            '-' => 333,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// A4 pages of text lines, written as PDF.
struct PdfPages {
    pages: Vec<Content>,
    y: f32,
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;

impl PdfPages {
    fn new() -> PdfPages {
        PdfPages {
            pages: vec![Content::new()],
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Moves down `height` points, starting a new page when needed.
    fn advance(&mut self, height: f32) {
        self.y -= height;
        if self.y < MARGIN {
            self.pages.push(Content::new());
            self.y = PAGE_HEIGHT - MARGIN - height;
        }
    }

    fn text_at(&mut self, x: f32, font: &[u8], size: f32, text: &str) {
        let y = self.y;
        let bytes = win_ansi(text);
        self.page()
            .begin_text()
            .set_font(Name(font), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn right_at(&mut self, right: f32, font: &[u8], size: f32, text: &str) {
        self.text_at(right - amount_width(text, size), font, size, text);
    }

    fn rule(&mut self) {
        let y = self.y + 4.0;
        self.page()
            .set_line_width(0.5)
            .move_to(MARGIN, y)
            .line_to(PAGE_WIDTH - MARGIN, y)
            .stroke();
    }

    fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog_id = Ref::new(1);
        let tree_id = Ref::new(2);
        let regular_id = Ref::new(3);
        let bold_id = Ref::new(4);
        let n_pages = self.pages.len();
        let page_ids: Vec<Ref> = (0..n_pages)
            .map(|idx| Ref::new(5 + 2 * i32::try_from(idx).unwrap_or_default()))
            .collect();
        pdf.catalog(catalog_id).pages(tree_id);
        pdf.pages(tree_id)
            .kids(page_ids.iter().copied())
            .count(i32::try_from(n_pages).unwrap_or_default());
        pdf.type1_font(regular_id)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold_id)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        for (page_id, content) in page_ids.iter().zip(self.pages) {
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(*page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
                .parent(tree_id)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(Name(b"F1"), regular_id)
                .pair(Name(b"F2"), bold_id);
            page.finish();
            let data = content.finish();
            pdf.stream(content_id, &data);
        }
        pdf.finish()
    }
}

fn pdf(view: &View) -> Vec<u8> {
    const REGULAR: &[u8] = b"F1";
    const BOLD: &[u8] = b"F2";
    let right = PAGE_WIDTH - MARGIN;
    let mut doc = PdfPages::new();
    doc.text_at(MARGIN, BOLD, 18.0, &format!("Invoice #{}", view.invnum));
    doc.right_at(right, REGULAR, 10.0, &view.date);
    doc.advance(16.0);
    doc.text_at(
        MARGIN,
        REGULAR,
        10.0,
        &format!("Customer #{}", view.custnum),
    );
    doc.advance(28.0);
    doc.text_at(MARGIN, BOLD, 11.0, &view.name);
    if !view.company.is_empty() {
        doc.advance(14.0);
        doc.text_at(MARGIN, REGULAR, 10.0, &view.company);
    }
    for line in &view.address {
        doc.advance(14.0);
        doc.text_at(MARGIN, REGULAR, 10.0, line);
    }
    doc.advance(32.0);
    doc.text_at(MARGIN, BOLD, 10.0, "Description");
    doc.text_at(300.0, BOLD, 10.0, "Period");
    doc.right_at(right - 70.0, BOLD, 10.0, "Qty");
    doc.right_at(right, BOLD, 10.0, "Amount");
    doc.advance(6.0);
    doc.rule();
    for row in &view.rows {
        doc.advance(15.0);
        doc.text_at(MARGIN, REGULAR, 10.0, &truncate(&row.description, 48));
        doc.text_at(300.0, REGULAR, 9.0, &row.period);
        doc.right_at(right - 70.0, REGULAR, 10.0, &row.quantity.to_string());
        doc.right_at(right, REGULAR, 10.0, &row.amount.to_string());
        for detail in &row.details {
            doc.advance(12.0);
            doc.text_at(MARGIN + 12.0, REGULAR, 8.5, &truncate(detail, 90));
        }
    }
    doc.advance(8.0);
    doc.rule();
    doc.advance(12.0);
    doc.text_at(300.0, BOLD, 10.0, "Total");
    doc.right_at(right, BOLD, 10.0, &view.total.to_string());
    for payment in &view.payments {
        doc.advance(15.0);
        doc.text_at(MARGIN, REGULAR, 10.0, &truncate(&payment.description, 48));
        doc.text_at(300.0, REGULAR, 9.0, &payment.date);
        doc.right_at(right, REGULAR, 10.0, &format!("-{}", payment.amount));
    }
    doc.advance(18.0);
    doc.text_at(300.0, BOLD, 10.0, "Still owed");
    doc.right_at(right, BOLD, 10.0, &view.owed.to_string());
    doc.advance(28.0);
    doc.text_at(
        MARGIN,
        REGULAR,
        9.0,
        &format!("Account balance: {}", view.balance),
    );
    doc.finish()
}

/// `bursar invoice show N --format text|html|pdf`.
pub async fn invoice_show(config: &Path, invnum: i64, format: &str) -> Result<ExitCode> {
    if !matches!(format, "text" | "html" | "pdf") {
        bail!("unknown format {format:?} (use text, html or pdf)");
    }
    let loaded = runtime::load(config)?;
    let zone = loaded.billing_calendar()?.time_zone;
    let store = runtime::open_store(&loaded, false).await?;
    let document = store.invoice_document(invnum).await;
    store.close().await;
    let document = match document {
        Ok(document) => document,
        Err(bursar_store::Error::NotFound) => bail!("unknown invoice {invnum}"),
        Err(other) => return Err(other.into()),
    };
    let view = view(&document, &zone);
    let mut out = std::io::stdout().lock();
    match format {
        "text" => out.write_all(text(&view).as_bytes())?,
        "html" => {
            let custom = loaded.base.join(TEMPLATE_FILE);
            let template = match std::fs::read_to_string(&custom) {
                Ok(template) => template,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_TEMPLATE.to_string(),
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", custom.display()))
                }
            };
            out.write_all(html(&view, &template)?.as_bytes())?;
        }
        _ => out.write_all(&pdf(&view))?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
