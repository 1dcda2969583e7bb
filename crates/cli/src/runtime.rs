//! Bringing the pieces up: logging, the configuration, the data folder, the
//! card key and the store, as `init` and every other command need them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use bursar_store::{redact_url, CardKey, Cipher, Store};

use crate::config::{self, Loaded};

/// Starts logging to stderr with the configured filter.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Loads the configuration and starts logging.
pub fn load(config_path: &Path) -> Result<Loaded> {
    let loaded = config::load(config_path)?;
    init_logging(&loaded.config.log.filter);
    Ok(loaded)
}

/// The card key: `BURSAR_CARD_KEY`, else `bursar-data/card.key`, created
/// (mode 0600) when `create` and missing. An existing file is never
/// overwritten.
pub fn card_key(loaded: &Loaded, create: bool) -> Result<CardKey> {
    if let Ok(text) = std::env::var("BURSAR_CARD_KEY") {
        return CardKey::from_base64(&text).context("BURSAR_CARD_KEY");
    }
    let path = loaded.data_dir().join("card.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return CardKey::from_base64(&text).with_context(|| format!("{}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the card key {}", path.display()))
        }
    }
    std::fs::create_dir_all(loaded.data_dir())
        .with_context(|| format!("cannot create {}", loaded.data_dir().display()))?;
    let key = CardKey::generate();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create the card key {}", path.display()))?;
    file.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "created the card-encryption key");
    Ok(key)
}

/// Opens the store (migrating it) with the configured database and key.
pub async fn open_store(loaded: &Loaded, create_key: bool) -> Result<Store> {
    let url = loaded.database_url();
    let key = card_key(loaded, create_key)?;
    let store = Store::open(&url, Cipher::new(&key))
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&url)))?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

/// Everything `init` does: the config file (with a fresh secret), the data
/// folder, the card key, the migrated database and its defaults.
pub async fn initialise(config_path: &Path) -> Result<(Loaded, Store)> {
    let created = config::create_if_missing(config_path)?;
    let loaded = load(config_path)?;
    if created {
        tracing::info!(path = %loaded.path.display(), "created the configuration with a new back-office shared secret ([api] shared_secret)");
    }
    std::fs::create_dir_all(loaded.data_dir())
        .with_context(|| format!("cannot create {}", loaded.data_dir().display()))?;
    let store = open_store(&loaded, true).await?;
    let report = store
        .init()
        .await
        .context("cannot initialise the database")?;
    if report.created {
        tracing::info!(localities = report.localities, "initialised the database: agent 1, advertising source 1, the api employee, default reasons");
    }
    Ok((loaded, store))
}
