//! The declarative catalog: what an operator defines once (agents,
//! advertising sources, tax rates, exports, service and package
//! definitions). `snapshot` reads it all back; `apply_catalog` creates and
//! updates what a catalog names, matched by number (tax rows by place,
//! exports by name), in one transaction, never deleting, and reports every
//! change so that a second apply of the same catalog reports none.

use std::collections::{BTreeMap, HashMap, HashSet};

use bursar_core::frequency::Frequency;
use bursar_core::model::{
    is_secret_option, AdvertisingSource, Agent, ExportDef, PackageDef, PackageService,
    PasswordEncoding, ServiceDef, SvcTable, TaxRate,
};
use bursar_core::Money;
use rust_decimal::Decimal;
use sqlx::Row;

use crate::{Conn, Error, Result, Store};

/// Marker that stands for a stored secret in a printed catalog; applying it
/// keeps the stored value.
pub const SECRET_PLACEHOLDER: &str = "<secret>";

/// Everything the catalog holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Resellers.
    pub agents: Vec<Agent>,
    /// Advertising sources.
    pub advertising_sources: Vec<AdvertisingSource>,
    /// Tax rates (`taxnum` is ignored on apply: rows match by place).
    pub taxes: Vec<TaxRate>,
    /// Exports, with options in clear text or [`SECRET_PLACEHOLDER`].
    pub exports: Vec<ExportDef>,
    /// Service definitions.
    pub service_defs: Vec<ServiceDef>,
    /// Package definitions.
    pub package_defs: Vec<PackageDef>,
}

/// What an apply changed: one line per created or changed record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Human-readable lines, e.g. `created agent 2 "Resale"`.
    pub changes: Vec<String>,
}

impl Store {
    /// Reads the whole catalog, sorted by number (taxes by place, exports by
    /// name). Secrets come back as [`SECRET_PLACEHOLDER`].
    ///
    /// # Errors
    /// [`Error::Backend`] when the database fails.
    pub async fn catalog_snapshot(&self) -> Result<Catalog> {
        let mut tx = self.read().await?;
        let mut catalog = read_catalog(&mut tx, self).await?;
        for export in &mut catalog.exports {
            for (name, value) in export.options.iter_mut() {
                if is_secret_option(name) && !value.is_empty() {
                    *value = SECRET_PLACEHOLDER.to_string();
                }
            }
        }
        tx.rollback().await?;
        Ok(catalog)
    }

    /// Applies `catalog` (see the module docs) in one transaction.
    ///
    /// # Errors
    /// [`Error::Refused`] when a service definition names an export, or a
    /// package definition a service definition, that exists neither in the
    /// catalog nor in the database; nothing is applied then.
    pub async fn apply_catalog(&self, catalog: &Catalog) -> Result<ApplyReport> {
        let mut tx = self.write().await?;
        let current = read_catalog(&mut tx, self).await?;
        check_exports(&current, catalog)?;
        let mut report = ApplyReport::default();
        apply_agents(&mut tx, self, &current, catalog, &mut report).await?;
        apply_sources(&mut tx, self, &current, catalog, &mut report).await?;
        apply_taxes(&mut tx, &current, catalog, &mut report).await?;
        apply_exports(&mut tx, self, &current, catalog, &mut report).await?;
        apply_service_defs(&mut tx, self, &current, catalog, &mut report).await?;
        apply_package_defs(&mut tx, self, &current, catalog, &mut report).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// Refuses export options their type does not accept and password
/// encodings an attached export cannot send (the catalog file's parser
/// says the same with file and line; this holds for every caller).
fn check_exports(current: &Catalog, catalog: &Catalog) -> Result<()> {
    for export in &catalog.exports {
        bursar_core::export_type::validate_options(&export.export_type, &export.options)
            .map_err(|m| Error::Refused(format!("export {}: {m}", export.name)))?;
    }
    for def in &catalog.service_defs {
        for name in &def.exports {
            let export = catalog
                .exports
                .iter()
                .chain(&current.exports)
                .find(|e| &e.name == name);
            if let Some(export) = export {
                bursar_core::export_type::check_password_encoding(
                    &export.export_type,
                    def.password_encoding,
                )
                .map_err(|m| Error::Refused(format!("service_def {}: {m}", def.svcpart)))?;
            }
        }
    }
    Ok(())
}

async fn read_catalog(conn: &mut Conn, store: &Store) -> Result<Catalog> {
    let agents = sqlx::query("SELECT agentnum, agent, disabled FROM agent ORDER BY agentnum")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Agent {
            agentnum: r.get(0),
            agent: r.get(1),
            disabled: r.get::<i32, _>(2) != 0,
        })
        .collect();
    let advertising_sources = sqlx::query(
        "SELECT refnum, referral, disabled, agentnum, title FROM part_referral ORDER BY refnum",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| AdvertisingSource {
        refnum: r.get(0),
        referral: r.get(1),
        disabled: r.get::<String, _>(2) == "Y",
        agentnum: r.get(3),
        title: r.get(4),
    })
    .collect();
    let mut taxes = Vec::new();
    for r in sqlx::query(
        "SELECT taxnum, country, state, county, city, taxname, tax FROM cust_main_county \
         WHERE taxname <> '' ORDER BY country, state, county, city, taxnum",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let rate: String = r.get(6);
        taxes.push(TaxRate {
            taxnum: r.get(0),
            country: r.get(1),
            state: r.get(2),
            county: r.get(3),
            city: r.get(4),
            name: r.get(5),
            rate: rate
                .parse::<Decimal>()
                .map_err(|_| Error::Corrupt(format!("tax rate {rate}")))?,
        });
    }
    let mut exports: Vec<ExportDef> = sqlx::query(
        "SELECT exportnum, exportname, exporttype FROM part_export ORDER BY exportname",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| ExportDef {
        exportnum: r.get(0),
        name: r.get(1),
        export_type: r.get(2),
        options: BTreeMap::new(),
    })
    .collect();
    let options =
        sqlx::query("SELECT exportnum, optionname, optionvalue, encrypted FROM part_export_option")
            .fetch_all(&mut *conn)
            .await?;
    for r in options {
        let exportnum: i64 = r.get(0);
        let value: String = r.get(2);
        let value = if r.get::<i32, _>(3) != 0 {
            store.cipher().decrypt(&value)?
        } else {
            value
        };
        if let Some(export) = exports.iter_mut().find(|e| e.exportnum == exportnum) {
            export.options.insert(r.get(1), value);
        }
    }
    let export_names: HashMap<i64, String> = exports
        .iter()
        .map(|e| (e.exportnum, e.name.clone()))
        .collect();
    let mut service_defs: Vec<ServiceDef> = Vec::new();
    for r in sqlx::query(
        "SELECT svcpart, svc, svcdb, password_encoding, disabled FROM part_svc ORDER BY svcpart",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let table: String = r.get(2);
        let encoding: String = r.get(3);
        service_defs.push(ServiceDef {
            svcpart: r.get(0),
            svc: r.get(1),
            table: SvcTable::parse(&table)
                .ok_or_else(|| Error::Corrupt(format!("svcdb {table}")))?,
            exports: Vec::new(),
            domains: Vec::new(),
            password_encoding: PasswordEncoding::parse(&encoding)
                .ok_or_else(|| Error::Corrupt(format!("password encoding {encoding}")))?,
            disabled: r.get::<i32, _>(4) != 0,
        });
    }
    for r in sqlx::query("SELECT svcpart, exportnum FROM export_svc")
        .fetch_all(&mut *conn)
        .await?
    {
        let svcpart: i64 = r.get(0);
        if let (Some(def), Some(name)) = (
            service_defs.iter_mut().find(|d| d.svcpart == svcpart),
            export_names.get(&r.get::<i64, _>(1)),
        ) {
            def.exports.push(name.clone());
        }
    }
    for r in sqlx::query(
        "SELECT p.svcpart, d.domain FROM part_svc_domain p JOIN svc_domain d ON d.svcnum = p.domsvc \
         ORDER BY p.svcpart, p.position",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let svcpart: i64 = r.get(0);
        if let Some(def) = service_defs.iter_mut().find(|d| d.svcpart == svcpart) {
            def.domains.push(r.get(1));
        }
    }
    for def in &mut service_defs {
        def.exports.sort();
    }
    let mut package_defs: Vec<PackageDef> = Vec::new();
    for r in sqlx::query(
        "SELECT pkgpart, pkg, comment, setup_fee, recur_fee, freq, setuptax, prorate_day, disabled \
         FROM part_pkg ORDER BY pkgpart",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let freq: String = r.get(5);
        package_defs.push(PackageDef {
            pkgpart: r.get(0),
            pkg: r.get(1),
            comment: r.get(2),
            setup_fee: Money::from_cents(r.get(3)),
            recur_fee: Money::from_cents(r.get(4)),
            freq: Frequency::parse(&freq).map_err(|e| Error::Corrupt(e.to_string()))?,
            taxable: r.get::<String, _>(6) != "Y",
            prorate_day: r.get::<Option<i32>, _>(7).map(|d| d as u8),
            disabled: r.get::<i32, _>(8) != 0,
            services: Vec::new(),
        });
    }
    for r in sqlx::query("SELECT pkgpart, svcpart, quantity FROM pkg_svc ORDER BY pkgpart, svcpart")
        .fetch_all(&mut *conn)
        .await?
    {
        let pkgpart: i64 = r.get(0);
        if let Some(def) = package_defs.iter_mut().find(|d| d.pkgpart == pkgpart) {
            def.services.push(PackageService {
                svcpart: r.get(1),
                quantity: r.get(2),
            });
        }
    }
    Ok(Catalog {
        agents,
        advertising_sources,
        taxes,
        exports,
        service_defs,
        package_defs,
    })
}

/// Names the fields that differ between two records, for the report.
fn changed_fields(pairs: &[(&'static str, bool)]) -> String {
    pairs
        .iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

async fn apply_agents(
    conn: &mut Conn,
    store: &Store,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    let mut inserted = false;
    for agent in &wanted.agents {
        match current.agents.iter().find(|a| a.agentnum == agent.agentnum) {
            None => {
                sqlx::query("INSERT INTO agent (agentnum, agent, disabled) VALUES ($1, $2, $3)")
                    .bind(agent.agentnum)
                    .bind(&agent.agent)
                    .bind(i32::from(agent.disabled))
                    .execute(&mut *conn)
                    .await?;
                inserted = true;
                report.changes.push(format!(
                    "created agent {} {:?}",
                    agent.agentnum, agent.agent
                ));
            }
            Some(old) if old != agent => {
                sqlx::query("UPDATE agent SET agent = $1, disabled = $2 WHERE agentnum = $3")
                    .bind(&agent.agent)
                    .bind(i32::from(agent.disabled))
                    .bind(agent.agentnum)
                    .execute(&mut *conn)
                    .await?;
                let fields = changed_fields(&[
                    ("agent", old.agent != agent.agent),
                    ("disabled", old.disabled != agent.disabled),
                ]);
                report.changes.push(format!(
                    "changed agent {} {:?}: {fields}",
                    agent.agentnum, agent.agent
                ));
            }
            Some(_) => {}
        }
    }
    if inserted {
        Store::bump_sequence(conn, store.backend(), "agent", "agentnum").await?;
    }
    Ok(())
}

async fn apply_sources(
    conn: &mut Conn,
    store: &Store,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    let known_agents: HashSet<i64> = current
        .agents
        .iter()
        .chain(&wanted.agents)
        .map(|a| a.agentnum)
        .collect();
    let mut inserted = false;
    for source in &wanted.advertising_sources {
        if let Some(agentnum) = source.agentnum {
            if !known_agents.contains(&agentnum) {
                return Err(Error::Refused(format!(
                    "advertising_source {} names agentnum {agentnum}, which is not defined",
                    source.refnum
                )));
            }
        }
        let disabled = if source.disabled { "Y" } else { "" };
        match current
            .advertising_sources
            .iter()
            .find(|s| s.refnum == source.refnum)
        {
            None => {
                sqlx::query("INSERT INTO part_referral (refnum, referral, disabled, agentnum, title) VALUES ($1, $2, $3, $4, $5)")
                    .bind(source.refnum)
                    .bind(&source.referral)
                    .bind(disabled)
                    .bind(source.agentnum)
                    .bind(&source.title)
                    .execute(&mut *conn)
                    .await?;
                inserted = true;
                report.changes.push(format!(
                    "created advertising_source {} {:?}",
                    source.refnum, source.referral
                ));
            }
            Some(old) if old != source => {
                sqlx::query("UPDATE part_referral SET referral = $1, disabled = $2, agentnum = $3, title = $4 WHERE refnum = $5")
                    .bind(&source.referral)
                    .bind(disabled)
                    .bind(source.agentnum)
                    .bind(&source.title)
                    .bind(source.refnum)
                    .execute(&mut *conn)
                    .await?;
                let fields = changed_fields(&[
                    ("referral", old.referral != source.referral),
                    ("disabled", old.disabled != source.disabled),
                    ("agentnum", old.agentnum != source.agentnum),
                    ("title", old.title != source.title),
                ]);
                report.changes.push(format!(
                    "changed advertising_source {} {:?}: {fields}",
                    source.refnum, source.referral
                ));
            }
            Some(_) => {}
        }
    }
    if inserted {
        Store::bump_sequence(conn, store.backend(), "part_referral", "refnum").await?;
    }
    Ok(())
}

async fn apply_taxes(
    conn: &mut Conn,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    for tax in &wanted.taxes {
        let place = |t: &TaxRate| {
            (
                t.country.clone(),
                t.state.clone(),
                t.county.to_uppercase(),
                t.city.to_uppercase(),
            )
        };
        let label = format!(
            "tax {}/{}/{}/{}",
            tax.country, tax.state, tax.county, tax.city
        );
        let rate = tax.rate.normalize().to_string();
        match current.taxes.iter().find(|t| place(t) == place(tax)) {
            Some(old) if old.name == tax.name && old.rate == tax.rate => {}
            Some(old) => {
                sqlx::query("UPDATE cust_main_county SET taxname = $1, tax = $2 WHERE taxnum = $3")
                    .bind(&tax.name)
                    .bind(&rate)
                    .bind(old.taxnum)
                    .execute(&mut *conn)
                    .await?;
                let fields = changed_fields(&[
                    ("name", old.name != tax.name),
                    ("rate", old.rate != tax.rate),
                ]);
                report.changes.push(format!("changed {label}: {fields}"));
            }
            None => {
                // A seeded zero-rate locality of the same place becomes this tax row.
                sqlx::query(
                    "INSERT INTO cust_main_county (country, state, county, city, taxname, tax) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (country, state, county, city, district, taxclass) \
                     DO UPDATE SET taxname = excluded.taxname, tax = excluded.tax",
                )
                .bind(&tax.country)
                .bind(&tax.state)
                .bind(tax.county.to_uppercase())
                .bind(tax.city.to_uppercase())
                .bind(&tax.name)
                .bind(&rate)
                .execute(&mut *conn)
                .await?;
                report
                    .changes
                    .push(format!("created {label} {:?}", tax.name));
            }
        }
    }
    Ok(())
}

async fn apply_exports(
    conn: &mut Conn,
    store: &Store,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    for export in &wanted.exports {
        let old = current.exports.iter().find(|e| e.name == export.name);
        // "<secret>" keeps the stored value.
        let mut options = export.options.clone();
        for (name, value) in options.iter_mut() {
            if value == SECRET_PLACEHOLDER {
                *value = old.and_then(|o| o.options.get(name)).cloned().ok_or_else(|| {
                    Error::Refused(format!("export {:?} option {name} is \"{SECRET_PLACEHOLDER}\" but no value is stored", export.name))
                })?;
            }
        }
        let exportnum = match old {
            Some(old) if old.export_type == export.export_type && old.options == options => {
                continue
            }
            Some(old) => {
                sqlx::query("UPDATE part_export SET exporttype = $1 WHERE exportnum = $2")
                    .bind(&export.export_type)
                    .bind(old.exportnum)
                    .execute(&mut *conn)
                    .await?;
                let mut fields: Vec<String> = Vec::new();
                if old.export_type != export.export_type {
                    fields.push("type".into());
                }
                let names: std::collections::BTreeSet<&String> =
                    old.options.keys().chain(options.keys()).collect();
                fields.extend(
                    names
                        .into_iter()
                        .filter(|n| old.options.get(*n) != options.get(*n))
                        .map(|n| format!("options.{n}")),
                );
                report.changes.push(format!(
                    "changed export {:?}: {}",
                    export.name,
                    fields.join(", ")
                ));
                sqlx::query("DELETE FROM part_export_option WHERE exportnum = $1")
                    .bind(old.exportnum)
                    .execute(&mut *conn)
                    .await?;
                old.exportnum
            }
            None => {
                let exportnum: i64 = sqlx::query("INSERT INTO part_export (exportname, exporttype) VALUES ($1, $2) RETURNING exportnum")
                    .bind(&export.name)
                    .bind(&export.export_type)
                    .fetch_one(&mut *conn)
                    .await?
                    .get(0);
                report.changes.push(format!(
                    "created export {:?} ({})",
                    export.name, export.export_type
                ));
                exportnum
            }
        };
        for (name, value) in &options {
            let secret = is_secret_option(name);
            let stored = if secret {
                store.cipher().encrypt(value)
            } else {
                value.clone()
            };
            sqlx::query("INSERT INTO part_export_option (exportnum, optionname, optionvalue, encrypted) VALUES ($1, $2, $3, $4)")
                .bind(exportnum)
                .bind(name)
                .bind(stored)
                .bind(i32::from(secret))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn apply_service_defs(
    conn: &mut Conn,
    store: &Store,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    let exportnums: HashMap<String, i64> =
        sqlx::query("SELECT exportname, exportnum FROM part_export")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let mut inserted = false;
    for def in &wanted.service_defs {
        for name in &def.exports {
            if !exportnums.contains_key(name) {
                return Err(Error::Refused(format!(
                    "service_def {} names export {name:?}, which is not defined",
                    def.svcpart
                )));
            }
        }
        let mut wanted_def = def.clone();
        wanted_def.exports.sort();
        let old = current
            .service_defs
            .iter()
            .find(|d| d.svcpart == def.svcpart);
        match old {
            Some(old) if *old == wanted_def => continue,
            Some(old) => {
                if old.table != def.table {
                    return Err(Error::Refused(format!(
                        "service_def {} cannot change table from {} to {}",
                        def.svcpart,
                        old.table.as_str(),
                        def.table.as_str()
                    )));
                }
                sqlx::query("UPDATE part_svc SET svc = $1, password_encoding = $2, disabled = $3 WHERE svcpart = $4")
                    .bind(&def.svc)
                    .bind(def.password_encoding.as_str())
                    .bind(i32::from(def.disabled))
                    .bind(def.svcpart)
                    .execute(&mut *conn)
                    .await?;
                let fields = changed_fields(&[
                    ("svc", old.svc != def.svc),
                    ("exports", old.exports != wanted_def.exports),
                    ("domains", old.domains != def.domains),
                    (
                        "password_encoding",
                        old.password_encoding != def.password_encoding,
                    ),
                    ("disabled", old.disabled != def.disabled),
                ]);
                report.changes.push(format!(
                    "changed service_def {} {:?}: {fields}",
                    def.svcpart, def.svc
                ));
            }
            None => {
                sqlx::query("INSERT INTO part_svc (svcpart, svc, svcdb, password_encoding, disabled) VALUES ($1, $2, $3, $4, $5)")
                    .bind(def.svcpart)
                    .bind(&def.svc)
                    .bind(def.table.as_str())
                    .bind(def.password_encoding.as_str())
                    .bind(i32::from(def.disabled))
                    .execute(&mut *conn)
                    .await?;
                inserted = true;
                report
                    .changes
                    .push(format!("created service_def {} {:?}", def.svcpart, def.svc));
            }
        }
        if old.map(|o| o.exports != wanted_def.exports).unwrap_or(true) {
            sqlx::query("DELETE FROM export_svc WHERE svcpart = $1")
                .bind(def.svcpart)
                .execute(&mut *conn)
                .await?;
            for name in &wanted_def.exports {
                sqlx::query("INSERT INTO export_svc (svcpart, exportnum) VALUES ($1, $2)")
                    .bind(def.svcpart)
                    .bind(exportnums[name])
                    .execute(&mut *conn)
                    .await?;
            }
        }
        if old.map(|o| o.domains != def.domains).unwrap_or(true) {
            sqlx::query("DELETE FROM part_svc_domain WHERE svcpart = $1")
                .bind(def.svcpart)
                .execute(&mut *conn)
                .await?;
            for (position, domain) in def.domains.iter().enumerate() {
                let domsvc = system_domain(conn, domain).await?;
                sqlx::query(
                    "INSERT INTO part_svc_domain (svcpart, domsvc, position) VALUES ($1, $2, $3)",
                )
                .bind(def.svcpart)
                .bind(domsvc)
                .bind(position as i32)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    if inserted {
        Store::bump_sequence(conn, store.backend(), "part_svc", "svcpart").await?;
    }
    Ok(())
}

/// Finds the `svc_domain` record of `domain`, creating a system domain (a
/// service without package) when there is none.
async fn system_domain(conn: &mut Conn, domain: &str) -> Result<i64> {
    let domain = domain.to_ascii_lowercase();
    if let Some(row) = sqlx::query("SELECT svcnum FROM svc_domain WHERE domain = $1")
        .bind(&domain)
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(row.get(0));
    }
    let svcnum: i64 =
        sqlx::query("INSERT INTO cust_svc (pkgnum, svcpart) VALUES (NULL, NULL) RETURNING svcnum")
            .fetch_one(&mut *conn)
            .await?
            .get(0);
    sqlx::query("INSERT INTO svc_domain (svcnum, domain) VALUES ($1, $2)")
        .bind(svcnum)
        .bind(&domain)
        .execute(&mut *conn)
        .await?;
    Ok(svcnum)
}

async fn apply_package_defs(
    conn: &mut Conn,
    store: &Store,
    current: &Catalog,
    wanted: &Catalog,
    report: &mut ApplyReport,
) -> Result<()> {
    let known_svcparts: HashSet<i64> = current
        .service_defs
        .iter()
        .chain(&wanted.service_defs)
        .map(|d| d.svcpart)
        .collect();
    let mut inserted = false;
    for def in &wanted.package_defs {
        for service in &def.services {
            if !known_svcparts.contains(&service.svcpart) {
                return Err(Error::Refused(format!(
                    "package_def {} names svcpart {}, which is not defined",
                    def.pkgpart, service.svcpart
                )));
            }
        }
        let mut wanted_def = def.clone();
        wanted_def.services.sort_by_key(|s| s.svcpart);
        let taxflag = if def.taxable { "" } else { "Y" };
        let old = current
            .package_defs
            .iter()
            .find(|d| d.pkgpart == def.pkgpart);
        match old {
            Some(old) if *old == wanted_def => continue,
            Some(old) => {
                sqlx::query(
                    "UPDATE part_pkg SET pkg = $1, comment = $2, setup_fee = $3, recur_fee = $4, freq = $5, \
                     setuptax = $6, recurtax = $6, prorate_day = $7, disabled = $8 WHERE pkgpart = $9",
                )
                .bind(&def.pkg)
                .bind(&def.comment)
                .bind(def.setup_fee.cents())
                .bind(def.recur_fee.cents())
                .bind(def.freq.to_string())
                .bind(taxflag)
                .bind(def.prorate_day.map(i32::from))
                .bind(i32::from(def.disabled))
                .bind(def.pkgpart)
                .execute(&mut *conn)
                .await?;
                let fields = changed_fields(&[
                    ("pkg", old.pkg != def.pkg),
                    ("comment", old.comment != def.comment),
                    ("setup_fee", old.setup_fee != def.setup_fee),
                    ("recur_fee", old.recur_fee != def.recur_fee),
                    ("freq", old.freq != def.freq),
                    ("taxable", old.taxable != def.taxable),
                    ("prorate_day", old.prorate_day != def.prorate_day),
                    ("disabled", old.disabled != def.disabled),
                    ("services", old.services != wanted_def.services),
                ]);
                report.changes.push(format!(
                    "changed package_def {} {:?}: {fields}",
                    def.pkgpart, def.pkg
                ));
            }
            None => {
                sqlx::query(
                    "INSERT INTO part_pkg (pkgpart, pkg, comment, setup_fee, recur_fee, freq, setuptax, recurtax, prorate_day, disabled) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
                )
                .bind(def.pkgpart)
                .bind(&def.pkg)
                .bind(&def.comment)
                .bind(def.setup_fee.cents())
                .bind(def.recur_fee.cents())
                .bind(def.freq.to_string())
                .bind(taxflag)
                .bind(def.prorate_day.map(i32::from))
                .bind(i32::from(def.disabled))
                .execute(&mut *conn)
                .await?;
                inserted = true;
                report
                    .changes
                    .push(format!("created package_def {} {:?}", def.pkgpart, def.pkg));
            }
        }
        if old
            .map(|o| o.services != wanted_def.services)
            .unwrap_or(true)
        {
            sqlx::query("DELETE FROM pkg_svc WHERE pkgpart = $1")
                .bind(def.pkgpart)
                .execute(&mut *conn)
                .await?;
            for service in &wanted_def.services {
                sqlx::query("INSERT INTO pkg_svc (pkgpart, svcpart, quantity) VALUES ($1, $2, $3)")
                    .bind(def.pkgpart)
                    .bind(service.svcpart)
                    .bind(service.quantity)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    if inserted {
        Store::bump_sequence(conn, store.backend(), "part_pkg", "pkgpart").await?;
    }
    Ok(())
}
