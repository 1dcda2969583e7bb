//! The catalog file format (ARCHITECTURE.md "Operator interface"): parsing
//! with file, line and key in every error, checking references against the
//! file and the database, and printing the current catalog in the same
//! format. Nothing is applied unless the whole file is good.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;

use anyhow::{anyhow, Result};
use bursar_core::export_type::{check_password_encoding, validate_options};
use bursar_core::frequency::Frequency;
use bursar_core::model::{
    AdvertisingSource, Agent, ExportDef, PackageDef, PackageService, PasswordEncoding, ServiceDef,
    SvcTable, TaxRate,
};
use bursar_core::Money;
use bursar_store::catalog::{Catalog, SECRET_PLACEHOLDER};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default, rename = "agent", skip_serializing_if = "Vec::is_empty")]
    agents: Vec<AgentEntry>,
    #[serde(
        default,
        rename = "advertising_source",
        skip_serializing_if = "Vec::is_empty"
    )]
    sources: Vec<SourceEntry>,
    #[serde(default, rename = "tax", skip_serializing_if = "Vec::is_empty")]
    taxes: Vec<TaxEntry>,
    #[serde(default, rename = "export", skip_serializing_if = "Vec::is_empty")]
    exports: Vec<ExportEntry>,
    #[serde(default, rename = "service_def", skip_serializing_if = "Vec::is_empty")]
    service_defs: Vec<ServiceDefEntry>,
    #[serde(default, rename = "package_def", skip_serializing_if = "Vec::is_empty")]
    package_defs: Vec<PackageDefEntry>,
}

fn is_false(value: &bool) -> bool {
    !*value
}
fn is_true(value: &bool) -> bool {
    *value
}
fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AgentEntry {
    agentnum: i64,
    agent: String,
    #[serde(default, skip_serializing_if = "is_false")]
    disabled: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    refnum: i64,
    referral: String,
    #[serde(default, skip_serializing_if = "is_false")]
    disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agentnum: Option<Spanned<i64>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    title: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TaxEntry {
    country: Spanned<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    county: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    city: String,
    name: String,
    rate: Spanned<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ExportEntry {
    name: Spanned<String>,
    #[serde(rename = "type")]
    export_type: Spanned<String>,
    #[serde(default)]
    options: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ServiceDefEntry {
    svcpart: i64,
    svc: String,
    table: Spanned<String>,
    #[serde(default)]
    exports: Vec<Spanned<String>>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_encoding: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "is_false")]
    disabled: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PackageDefEntry {
    pkgpart: i64,
    pkg: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    setup_fee: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recur_fee: Option<Spanned<String>>,
    freq: Spanned<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    taxable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prorate_day: Option<Spanned<i64>>,
    #[serde(default, skip_serializing_if = "is_false")]
    disabled: bool,
    #[serde(default)]
    services: Vec<ServiceEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ServiceEntry {
    svcpart: Spanned<i64>,
    #[serde(default = "one")]
    quantity: i64,
}

fn one() -> i64 {
    1
}

/// Locates byte offsets of the file as `FILE:LINE`.
struct Source<'a> {
    name: String,
    text: &'a str,
}

impl Source<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    /// `FILE:LINE: KEY: message`, the key being the one written on that line
    /// (inside its `[[section]]`).
    fn error(&self, span: Range<usize>, message: impl std::fmt::Display) -> anyhow::Error {
        let line_no = self.line_of(span.start);
        let line = self.text.lines().nth(line_no - 1).unwrap_or_default();
        let section = self
            .text
            .lines()
            .take(line_no)
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("[[")
                    .and_then(|l| l.split("]]").next())
            })
            .last();
        let key = line
            .split_once('=')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.starts_with('['));
        let place = match (section, key) {
            (Some(section), Some(key)) => format!(" {section}.{key}:"),
            (Some(section), None) => format!(" {section}:"),
            (None, Some(key)) => format!(" {key}:"),
            (None, None) => String::new(),
        };
        anyhow!("{}:{}:{} {}", self.name, line_no, place, message)
    }
}

/// Reads and checks a catalog file against the catalog already stored.
///
/// # Errors
/// The first problem, as `FILE:LINE: section.key: message`.
pub fn parse(path: &Path, text: &str, stored: &Catalog) -> Result<Catalog> {
    let source = Source {
        name: path.display().to_string(),
        text,
    };
    let file: CatalogFile = toml::from_str(text).map_err(|e| {
        let message = e.message().to_string();
        match e.span() {
            Some(span) => source.error(span, message),
            None => anyhow!("{}: {}", source.name, message),
        }
    })?;
    let mut catalog = Catalog::default();
    for entry in &file.agents {
        catalog.agents.push(Agent {
            agentnum: entry.agentnum,
            agent: entry.agent.clone(),
            disabled: entry.disabled,
        });
    }
    let agentnums: HashSet<i64> = catalog
        .agents
        .iter()
        .chain(&stored.agents)
        .map(|a| a.agentnum)
        .collect();
    for entry in &file.sources {
        if let Some(agentnum) = &entry.agentnum {
            if !agentnums.contains(agentnum.get_ref()) {
                return Err(source.error(
                    agentnum.span(),
                    format!("agentnum {} is not defined", agentnum.get_ref()),
                ));
            }
        }
        catalog.advertising_sources.push(AdvertisingSource {
            refnum: entry.refnum,
            referral: entry.referral.clone(),
            disabled: entry.disabled,
            agentnum: entry.agentnum.as_ref().map(|a| *a.get_ref()),
            title: entry.title.clone(),
        });
    }
    for entry in &file.taxes {
        let country = entry.country.get_ref().trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(source.error(
                entry.country.span(),
                format!("country must be a two-letter code, not {country:?}"),
            ));
        }
        let rate: Decimal = entry
            .rate
            .get_ref()
            .trim()
            .parse()
            .ok()
            .filter(|r: &Decimal| !r.is_sign_negative() && *r <= Decimal::ONE_HUNDRED)
            .ok_or_else(|| {
                source.error(
                    entry.rate.span(),
                    format!(
                        "rate must be a percent like \"7.25\", not {:?}",
                        entry.rate.get_ref()
                    ),
                )
            })?;
        catalog.taxes.push(TaxRate {
            taxnum: 0,
            country,
            state: entry.state.trim().to_string(),
            county: entry.county.trim().to_string(),
            city: entry.city.trim().to_string(),
            name: entry.name.clone(),
            rate,
        });
    }
    let mut export_types: BTreeMap<String, String> = stored
        .exports
        .iter()
        .map(|e| (e.name.clone(), e.export_type.clone()))
        .collect();
    for entry in &file.exports {
        let mut options = BTreeMap::new();
        for (name, value) in &entry.options {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(source.error(
                        entry.name.span(),
                        format!(
                            "export option {name} must be a string, integer or boolean, not {}",
                            other.type_str()
                        ),
                    ))
                }
            };
            options.insert(name.clone(), text);
        }
        let mut checked = options.clone();
        for (name, value) in checked.iter_mut() {
            if value == SECRET_PLACEHOLDER {
                // Checked against the stored value when applied.
                *value = "stored".into();
                let _ = name;
            }
        }
        validate_options(entry.export_type.get_ref(), &checked).map_err(|m| {
            source.error(
                entry.export_type.span(),
                format!("export {:?}: {m}", entry.name.get_ref()),
            )
        })?;
        export_types.insert(
            entry.name.get_ref().clone(),
            entry.export_type.get_ref().clone(),
        );
        catalog.exports.push(ExportDef {
            exportnum: 0,
            name: entry.name.get_ref().clone(),
            export_type: entry.export_type.get_ref().clone(),
            options,
        });
    }
    for entry in &file.service_defs {
        let table = SvcTable::parse(entry.table.get_ref()).ok_or_else(|| {
            source.error(
                entry.table.span(),
                format!(
                    "table must be svc_acct, svc_domain or svc_phone, not {:?}",
                    entry.table.get_ref()
                ),
            )
        })?;
        let password_encoding = match &entry.password_encoding {
            None => PasswordEncoding::default(),
            Some(spanned) => PasswordEncoding::parse(spanned.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = PasswordEncoding::ALL.iter().map(|e| e.as_str()).collect();
                source.error(
                    spanned.span(),
                    format!(
                        "password_encoding must be one of {}, not {:?}",
                        names.join(", "),
                        spanned.get_ref()
                    ),
                )
            })?,
        };
        for export in &entry.exports {
            let Some(export_type) = export_types.get(export.get_ref()) else {
                return Err(source.error(
                    export.span(),
                    format!("export {:?} is not defined", export.get_ref()),
                ));
            };
            if table == SvcTable::SvcAcct {
                check_password_encoding(export_type, password_encoding).map_err(|m| {
                    let span = entry
                        .password_encoding
                        .as_ref()
                        .map(Spanned::span)
                        .unwrap_or_else(|| export.span());
                    source.error(span, m)
                })?;
            }
        }
        catalog.service_defs.push(ServiceDef {
            svcpart: entry.svcpart,
            svc: entry.svc.clone(),
            table,
            exports: entry.exports.iter().map(|e| e.get_ref().clone()).collect(),
            domains: entry
                .domains
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .collect(),
            password_encoding,
            disabled: entry.disabled,
        });
    }
    let svcparts: HashSet<i64> = catalog
        .service_defs
        .iter()
        .chain(&stored.service_defs)
        .map(|d| d.svcpart)
        .collect();
    for entry in &file.package_defs {
        let freq = Frequency::parse(entry.freq.get_ref())
            .map_err(|e| source.error(entry.freq.span(), e))?;
        let money = |field: &Option<Spanned<String>>, key: &str| -> Result<Money> {
            match field {
                None => Ok(Money::ZERO),
                Some(spanned) => Money::parse(spanned.get_ref())
                    .ok()
                    .filter(|m| !m.to_decimal().is_sign_negative())
                    .ok_or_else(|| {
                        source.error(
                            spanned.span(),
                            format!(
                                "{key} must be an amount like \"19.95\", not {:?}",
                                spanned.get_ref()
                            ),
                        )
                    }),
            }
        };
        let setup_fee = money(&entry.setup_fee, "setup_fee")?;
        let recur_fee = money(&entry.recur_fee, "recur_fee")?;
        let prorate_day = match &entry.prorate_day {
            None => None,
            Some(day) if (1..=28).contains(day.get_ref()) => Some(*day.get_ref() as u8),
            Some(day) => {
                return Err(source.error(
                    day.span(),
                    format!("prorate_day must be 1 to 28, not {}", day.get_ref()),
                ))
            }
        };
        let mut services = Vec::new();
        for service in &entry.services {
            if !svcparts.contains(service.svcpart.get_ref()) {
                return Err(source.error(
                    service.svcpart.span(),
                    format!("svcpart {} is not defined", service.svcpart.get_ref()),
                ));
            }
            if service.quantity < 1 {
                return Err(source.error(
                    service.svcpart.span(),
                    format!("quantity must be at least 1, not {}", service.quantity),
                ));
            }
            services.push(PackageService {
                svcpart: *service.svcpart.get_ref(),
                quantity: service.quantity,
            });
        }
        catalog.package_defs.push(PackageDef {
            pkgpart: entry.pkgpart,
            pkg: entry.pkg.clone(),
            comment: entry.comment.clone(),
            setup_fee,
            recur_fee,
            freq,
            taxable: entry.taxable,
            prorate_day,
            disabled: entry.disabled,
            services,
        });
    }
    check_duplicates(&catalog)?;
    Ok(catalog)
}

fn check_duplicates(catalog: &Catalog) -> Result<()> {
    fn first_duplicate<T: std::hash::Hash + Eq + Clone>(
        keys: impl Iterator<Item = T>,
    ) -> Option<T> {
        let mut seen = HashSet::new();
        keys.into_iter().find(|k| !seen.insert(k.clone()))
    }
    if let Some(n) = first_duplicate(catalog.agents.iter().map(|a| a.agentnum)) {
        return Err(anyhow!("agentnum {n} is defined twice"));
    }
    if let Some(n) = first_duplicate(catalog.advertising_sources.iter().map(|a| a.refnum)) {
        return Err(anyhow!("refnum {n} is defined twice"));
    }
    if let Some(n) = first_duplicate(catalog.exports.iter().map(|e| e.name.clone())) {
        return Err(anyhow!("export {n:?} is defined twice"));
    }
    if let Some(n) = first_duplicate(catalog.service_defs.iter().map(|d| d.svcpart)) {
        return Err(anyhow!("svcpart {n} is defined twice"));
    }
    if let Some(n) = first_duplicate(catalog.package_defs.iter().map(|d| d.pkgpart)) {
        return Err(anyhow!("pkgpart {n} is defined twice"));
    }
    Ok(())
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

/// Prints a catalog in the file format (secrets already masked by the store).
pub fn print(catalog: &Catalog) -> Result<String> {
    let file = CatalogFile {
        agents: catalog
            .agents
            .iter()
            .map(|a| AgentEntry {
                agentnum: a.agentnum,
                agent: a.agent.clone(),
                disabled: a.disabled,
            })
            .collect(),
        sources: catalog
            .advertising_sources
            .iter()
            .map(|s| SourceEntry {
                refnum: s.refnum,
                referral: s.referral.clone(),
                disabled: s.disabled,
                agentnum: s.agentnum.map(spanned),
                title: s.title.clone(),
            })
            .collect(),
        taxes: catalog
            .taxes
            .iter()
            .map(|t| TaxEntry {
                country: spanned(t.country.clone()),
                state: t.state.clone(),
                county: t.county.clone(),
                city: t.city.clone(),
                name: t.name.clone(),
                rate: spanned(t.rate.normalize().to_string()),
            })
            .collect(),
        exports: catalog
            .exports
            .iter()
            .map(|e| ExportEntry {
                name: spanned(e.name.clone()),
                export_type: spanned(e.export_type.clone()),
                options: e
                    .options
                    .iter()
                    .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
                    .collect(),
            })
            .collect(),
        service_defs: catalog
            .service_defs
            .iter()
            .map(|d| ServiceDefEntry {
                svcpart: d.svcpart,
                svc: d.svc.clone(),
                table: spanned(d.table.as_str().to_string()),
                exports: d.exports.iter().cloned().map(spanned).collect(),
                domains: d.domains.clone(),
                password_encoding: Some(spanned(d.password_encoding.as_str().to_string())),
                disabled: d.disabled,
            })
            .collect(),
        package_defs: catalog
            .package_defs
            .iter()
            .map(|d| PackageDefEntry {
                pkgpart: d.pkgpart,
                pkg: d.pkg.clone(),
                comment: d.comment.clone(),
                setup_fee: Some(spanned(d.setup_fee.to_string())),
                recur_fee: Some(spanned(d.recur_fee.to_string())),
                freq: spanned(d.freq.to_string()),
                taxable: d.taxable,
                prorate_day: d.prorate_day.map(|p| spanned(i64::from(p))),
                disabled: d.disabled,
                services: d
                    .services
                    .iter()
                    .map(|s| ServiceEntry {
                        svcpart: spanned(s.svcpart),
                        quantity: s.quantity,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(toml::to_string(&file)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_error(text: &str, expected: &str) {
        let error = parse(Path::new("cat.toml"), text, &Catalog::default())
            .unwrap_err()
            .to_string();
        assert_eq!(error, expected);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        check_error("[[agent]]\nagentnum = 2\nagent = \"A\"\ncolour = \"red\"\n", "cat.toml:4: agent.colour: unknown field `colour`, expected one of `agentnum`, `agent`, `disabled`");
        check_error(
            "[[agent]]\nagentnum = \"two\"\nagent = \"A\"\n",
            "cat.toml:2: agent.agentnum: invalid type: string \"two\", expected i64",
        );
        check_error(
            "[[package_def]]\npkgpart = 1\npkg = \"P\"\nfreq = \"1m\"\n",
            "cat.toml:4: package_def.freq: Illegal or empty freq: 1m",
        );
        check_error(
            "[[package_def]]\npkgpart = 1\npkg = \"P\"\nfreq = \"1\"\nservices = [{ svcpart = 4 }]\n",
            "cat.toml:5: package_def.services: svcpart 4 is not defined",
        );
        check_error(
            "[[service_def]]\nsvcpart = 1\nsvc = \"Mail\"\ntable = \"svc_acct\"\nexports = [\"mail\"]\n",
            "cat.toml:5: service_def.exports: export \"mail\" is not defined",
        );
        check_error(
            "[[export]]\nname = \"mail\"\ntype = \"magicmail\"\n[export.options]\nhost = \"h\"\n",
            "cat.toml:3: export.type: export \"mail\": missing required option client_id",
        );
    }

    #[test]
    fn printing_then_parsing_gives_the_same_catalog() {
        let text = "[[agent]]\nagentnum = 1\nagent = \"Internal\"\n\n[[tax]]\ncountry = \"US\"\nstate = \"CA\"\nname = \"CA sales tax\"\nrate = \"7.25\"\n\n[[service_def]]\nsvcpart = 1\nsvc = \"Mailbox\"\ntable = \"svc_acct\"\ndomains = [\"lakeside.example\"]\n\n[[package_def]]\npkgpart = 1\npkg = \"Mail Basic\"\nsetup_fee = \"10.00\"\nrecur_fee = \"19.95\"\nfreq = \"1\"\nservices = [{ svcpart = 1, quantity = 1 }]\n";
        let catalog = parse(Path::new("c.toml"), text, &Catalog::default()).unwrap();
        let printed = print(&catalog).unwrap();
        let again = parse(Path::new("c.toml"), &printed, &Catalog::default()).unwrap();
        assert_eq!(again, catalog);
    }
}
