//! The administration commands: init, migrate, catalog, customer.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bursar_core::model::Location;

use crate::{catalog_file, runtime};

/// `bursar init`.
pub async fn init(config: &Path) -> Result<ExitCode> {
    let (loaded, store) = runtime::initialise(config).await?;
    store.close().await;
    eprintln!(
        "bursar: initialised; configuration in {}",
        loaded.path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `bursar migrate`.
pub async fn migrate(config: &Path) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `bursar catalog apply FILE`.
pub async fn catalog_apply(config: &Path, file: &Path) -> Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (_, store) = runtime::initialise(config).await?;
    let stored = store.catalog_snapshot().await?;
    let catalog = catalog_file::parse(file, &text, &stored)?;
    let report = store
        .apply_catalog(&catalog)
        .await
        .with_context(|| format!("{} refused", file.display()))?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    if report.changes.is_empty() {
        writeln!(out, "no changes")?;
    }
    for change in &report.changes {
        writeln!(out, "{change}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `bursar catalog show`.
pub async fn catalog_show(config: &Path) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let catalog = store.catalog_snapshot().await?;
    store.close().await;
    print!("{}", catalog_file::print(&catalog)?);
    Ok(ExitCode::SUCCESS)
}

/// `bursar customer list`.
pub async fn customer_list(config: &Path, after: i64, limit: i64) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let list = store.list_customers(after, limit).await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:>8}  {:<30}  {:<24}  {:<10}  {:>12}",
        "custnum", "name", "company", "status", "balance"
    )?;
    for line in list {
        let c = &line.customer;
        writeln!(
            out,
            "{:>8}  {:<30}  {:<24}  {:<10}  {:>12}",
            c.custnum,
            c.name(),
            c.company,
            line.status.as_str(),
            line.balance.to_string()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn address(location: &Location) -> String {
    let mut parts = vec![location.address1.clone()];
    if !location.address2.is_empty() {
        parts.push(location.address2.clone());
    }
    parts.push(format!(
        "{}, {} {} {}",
        location.city, location.state, location.zip, location.country
    ));
    parts.join(", ")
}

/// `bursar customer show N`.
pub async fn customer_show(config: &Path, custnum: i64) -> Result<ExitCode> {
    let loaded = runtime::load(config)?;
    let store = runtime::open_store(&loaded, false).await?;
    let details = match store.customer_details(custnum).await {
        Err(bursar_store::Error::NotFound) => anyhow::bail!("unknown customer {custnum}"),
        other => other?,
    };
    store.close().await;
    let c = &details.customer;
    let mut out = std::io::stdout().lock();
    writeln!(out, "custnum:        {}", c.custnum)?;
    writeln!(out, "name:           {}", c.name())?;
    if !c.company.is_empty() {
        writeln!(out, "company:        {}", c.company)?;
    }
    writeln!(out, "agentnum:       {}", c.agentnum)?;
    writeln!(out, "refnum:         {}", c.refnum)?;
    writeln!(
        out,
        "status:         {} ({})",
        details.status.as_str(),
        details.status.color()
    )?;
    writeln!(out, "balance:        {}", details.totals.balance())?;
    writeln!(out, "billing:        {}", address(&details.bill_location))?;
    writeln!(out, "service:        {}", address(&details.ship_location))?;
    for (label, phone) in [
        ("daytime", &c.daytime),
        ("night", &c.night),
        ("fax", &c.fax),
        ("mobile", &c.mobile),
    ] {
        if !phone.is_empty() {
            writeln!(out, "{:<16}{phone}", format!("{label}:"))?;
        }
    }
    writeln!(out, "invoicing_list: {}", details.invoice_emails.join(", "))?;
    if c.postal_invoice {
        writeln!(out, "postal invoices: yes")?;
    }
    if !c.payby.is_empty() {
        writeln!(out, "payby:          {} {}", c.payby, c.paymask)?;
    }
    writeln!(out, "packages:       {}", details.packages.len())?;
    for package in &details.packages {
        writeln!(
            out,
            "  pkgnum {} pkgpart {} quantity {}",
            package.pkgnum, package.pkgpart, package.quantity
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
