//! Configuration: defaults in code, then `bursar.toml`, then the `BURSAR_*`
//! variables ARCHITECTURE.md fixes. Every key is known: a typo in the file
//! is an error naming the key, never a silent default. Library crates get
//! the parsed values; only this module reads the environment.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[database]`.
    pub database: DatabaseConfig,
    /// `[api]`.
    pub api: ApiConfig,
    /// `[backoffice]`.
    pub backoffice: BackofficeConfig,
    /// `[public]`.
    pub public: ListenerConfig,
    /// `[log]`.
    pub log: LogConfig,
    /// `[billing]`.
    pub billing: BillingConfig,
}

/// `[billing]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BillingConfig {
    /// IANA time zone for calendar arithmetic; empty = the host's zone.
    pub time_zone: String,
    /// `clamp` (default), `rollover` (Freeside's) or `day28`.
    pub month_end: String,
    /// When `serve` runs billing by itself: `daily HH:MM`, `hourly`,
    /// `every Nm` or `every Nh`; empty (the default) = never: operators run
    /// `bursar bill` from cron.
    pub schedule: String,
    /// Customers billed per transaction.
    pub batch_size: usize,
    /// Which address taxes follow: `bill` (default), `ship` or `package`.
    pub tax_location: String,
    /// `[billing.dunning]`: suspension for non-payment, off by default.
    pub dunning: DunningConfig,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            time_zone: String::new(),
            month_end: "clamp".into(),
            schedule: String::new(),
            batch_size: 500,
            tax_location: "bill".into(),
            dunning: DunningConfig::default(),
        }
    }
}

/// `[billing.dunning]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DunningConfig {
    /// Suspend a customer's packages this many days after an invoice fell
    /// due unpaid, for every agent without its own setting; unset = never.
    pub suspend_after_days: Option<u32>,
    /// Per-agent settings: `[[billing.dunning.agent]] agentnum = 2
    /// suspend_after_days = 10` (leave the days out to exempt the agent).
    pub agent: Vec<AgentDunningConfig>,
}

/// `[[billing.dunning.agent]]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentDunningConfig {
    /// The agent.
    pub agentnum: i64,
    /// Its days past due; unset = never for this agent.
    pub suspend_after_days: Option<u32>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (relative to the config file's folder) or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://bursar-data/bursar.db".into(),
        }
    }
}

/// `[api]`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// The back-office shared secret; no default exists.
    pub shared_secret: String,
    /// Agent given to `new_customer` calls that send none (unset by default).
    pub default_agentnum: Option<i64>,
    /// Advertising source given to `new_customer` calls that send none.
    pub default_refnum: i64,
    /// Blank service passwords and PINs in `customer_list_svcs`.
    pub redact_service_secrets: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            shared_secret: String::new(),
            default_agentnum: None,
            default_refnum: 1,
            redact_service_secrets: false,
        }
    }
}

/// `[backoffice]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackofficeConfig {
    /// `host:port` to bind; empty = `127.0.0.1:8008`.
    pub listen: String,
    /// Networks (CIDR) allowed to call; empty = anyone who reaches the socket.
    pub allow_from: Vec<String>,
    /// Largest request body in bytes.
    pub max_body: usize,
    /// Keep HTTP/1.1 connections alive (false: close after every answer, as Freeside).
    pub keep_alive: bool,
    /// Accept `name` as an alias of `FS.API.name`.
    pub bare_method_names: bool,
}

impl Default for BackofficeConfig {
    fn default() -> Self {
        BackofficeConfig {
            listen: String::new(),
            allow_from: Vec::new(),
            max_body: 1024 * 1024,
            keep_alive: true,
            bare_method_names: true,
        }
    }
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("shared_secret", &"<secret>")
            .finish()
    }
}

/// `[backoffice]` and `[public]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerConfig {
    /// `host:port` to bind; empty = the listener's default.
    pub listen: String,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter, e.g. `info` or `bursar=debug`.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info".into(),
        }
    }
}

/// Default back-office listener: loopback only.
pub const DEFAULT_BACKOFFICE_LISTEN: &str = "127.0.0.1:8008";
/// Default public listener.
pub const DEFAULT_PUBLIC_LISTEN: &str = "0.0.0.0:8080";

/// The loaded configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The values.
    pub config: Config,
    /// The config file's path.
    pub path: PathBuf,
    /// The folder relative paths are resolved against.
    pub base: PathBuf,
}

impl Loaded {
    /// The database URL with a relative SQLite path made absolute.
    pub fn database_url(&self) -> String {
        let url = &self.config.database.url;
        match url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Some(path) if !path.starts_with('/') => {
                format!("sqlite://{}", self.base.join(path).display())
            }
            _ => url.clone(),
        }
    }

    /// The data folder (`bursar-data/` beside the config file).
    pub fn data_dir(&self) -> PathBuf {
        self.base.join("bursar-data")
    }

    /// The back-office settings the server needs.
    pub fn backoffice_settings(&self) -> Result<bursar_server::backoffice::BackofficeSettings> {
        let mut settings =
            bursar_server::backoffice::BackofficeSettings::new(&self.config.api.shared_secret);
        for net in &self.config.backoffice.allow_from {
            let parsed = net
                .parse::<ipnet::IpNet>()
                .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "bad configuration: backoffice.allow_from: {net:?} is not a network"
                    )
                })?;
            settings.allow_from.push(parsed);
        }
        settings.max_body = self.config.backoffice.max_body;
        settings.keep_alive = self.config.backoffice.keep_alive;
        settings.bare_method_names = self.config.backoffice.bare_method_names;
        settings.default_agentnum = self.config.api.default_agentnum;
        settings.default_refnum = self.config.api.default_refnum;
        settings.redact_service_secrets = self.config.api.redact_service_secrets;
        Ok(settings)
    }

    /// The billing calendar: time zone and month-end rule.
    pub fn billing_calendar(&self) -> Result<bursar_core::billing::BillingCalendar> {
        use bursar_core::billing::{BillingCalendar, MonthEnd};
        let billing = &self.config.billing;
        let time_zone = if billing.time_zone.trim().is_empty() {
            jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC)
        } else {
            jiff::tz::TimeZone::get(billing.time_zone.trim()).map_err(|_| {
                anyhow::anyhow!(
                    "bad configuration: billing.time_zone: unknown time zone {:?}",
                    billing.time_zone
                )
            })?
        };
        let month_end = MonthEnd::parse(&billing.month_end).ok_or_else(|| {
            anyhow::anyhow!(
                "bad configuration: billing.month_end must be clamp, rollover or day28, not {:?}",
                billing.month_end
            )
        })?;
        Ok(BillingCalendar::new(time_zone, month_end))
    }

    /// The options of a billing run at `now`: calendar, dunning, tax
    /// address and batch size from `[billing]`.
    pub fn billing_options(&self, now: i64) -> Result<bursar_store::billing::BillingOptions> {
        use bursar_store::billing::{BillingOptions, DunningPolicy, TaxAddress};
        let billing = &self.config.billing;
        let mut options = BillingOptions::new(self.billing_calendar()?, now);
        options.batch_size = billing.batch_size.max(1);
        options.tax_address = match billing.tax_location.trim() {
            "" | "bill" => TaxAddress::Billing,
            "ship" => TaxAddress::Service,
            "package" => TaxAddress::Package,
            other => bail!(
                "bad configuration: billing.tax_location must be bill, ship or package, not {other:?}"
            ),
        };
        options.dunning = DunningPolicy {
            suspend_after_days: billing.dunning.suspend_after_days,
            per_agent: billing
                .dunning
                .agent
                .iter()
                .map(|a| (a.agentnum, a.suspend_after_days))
                .collect(),
        };
        Ok(options)
    }

    /// The back-office listener address.
    pub fn backoffice_listen(&self) -> &str {
        non_empty(&self.config.backoffice.listen).unwrap_or(DEFAULT_BACKOFFICE_LISTEN)
    }

    /// The public listener address.
    pub fn public_listen(&self) -> &str {
        non_empty(&self.config.public.listen).unwrap_or(DEFAULT_PUBLIC_LISTEN)
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text.trim())
}

/// A new random shared secret: 32 bytes, URL-safe base64.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Writes a first `bursar.toml` with a fresh shared secret, unless one
/// exists (it is never overwritten). Returns true when it wrote one.
pub fn create_if_missing(path: &Path) -> Result<bool> {
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    let text = format!(
        "# Bursar configuration, created by `bursar init`. Environment variables\n\
         # (BURSAR_DATABASE_URL, BURSAR_API_SHARED_SECRET, BURSAR_BACKOFFICE_LISTEN,\n\
         # BURSAR_PUBLIC_LISTEN, BURSAR_LOG, BURSAR_CARD_KEY) override these keys.\n\
         \n\
         [database]\n\
         # sqlite://PATH (relative to this file's folder) or postgres://USER:PASS@HOST/DB\n\
         url = \"sqlite://bursar-data/bursar.db\"\n\
         \n\
         [api]\n\
         # The back-office (FS.API) shared secret. Keep it private.\n\
         shared_secret = \"{}\"\n\
         \n\
         [backoffice]\n\
         listen = \"{DEFAULT_BACKOFFICE_LISTEN}\"\n\
         \n\
         [public]\n\
         listen = \"{DEFAULT_PUBLIC_LISTEN}\"\n\
         \n\
         [log]\n\
         filter = \"info\"\n",
        generate_secret()
    );
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Maps the fixed environment variables onto their keys.
fn env_key(name: &str) -> Option<&'static str> {
    match name {
        "BURSAR_DATABASE_URL" => Some("database.url"),
        "BURSAR_API_SHARED_SECRET" => Some("api.shared_secret"),
        "BURSAR_BACKOFFICE_LISTEN" => Some("backoffice.listen"),
        "BURSAR_PUBLIC_LISTEN" => Some("public.listen"),
        "BURSAR_LOG" => Some("log.filter"),
        _ => None,
    }
}

/// Loads the configuration from `path` (which may be missing: then only
/// defaults and the environment count).
pub fn load(path: &Path) -> Result<Loaded> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current folder")?
            .join(path)
    };
    let base = absolute
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if absolute.exists() {
        std::fs::read_to_string(&absolute)
            .with_context(|| format!("cannot read {}", absolute.display()))?;
        figment = figment.merge(Toml::file_exact(&absolute));
    }
    let env =
        Env::raw().filter_map(|key| env_key(&key.as_str().to_ascii_uppercase()).map(Into::into));
    figment = figment.merge(env);
    let config: Config = figment.extract().map_err(|error| {
        let messages: Vec<String> = error
            .into_iter()
            .map(|e| one_line(&e.to_string()))
            .collect();
        anyhow::anyhow!("bad configuration: {}", messages.join("; "))
    })?;
    if config.database.url.trim().is_empty() {
        bail!("bad configuration: database.url is empty");
    }
    Ok(Loaded {
        config,
        path: absolute,
        base,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bursar.toml");
        std::fs::write(&path, "[database]\nurll = \"x\"\n").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(error.contains("urll"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn a_first_file_has_a_secret_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bursar.toml");
        assert!(create_if_missing(&path).unwrap());
        let first = std::fs::read_to_string(&path).unwrap();
        assert!(!create_if_missing(&path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.config.api.shared_secret.len(), 43);
        assert_eq!(
            loaded.database_url(),
            format!("sqlite://{}/bursar-data/bursar.db", dir.path().display())
        );
    }
}
