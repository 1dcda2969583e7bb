//! Export instances built from the catalog's definitions. An instance keeps
//! its HTTP client (connection reuse) and its per-account locks; it is
//! rebuilt when the definition's options change, so a `catalog apply` is
//! seen by a running server at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bursar_core::model::ExportDef;
use bursar_magicmail::MagicMailExport;

use crate::ServiceError;

/// One export, of whichever type.
#[derive(Debug)]
pub enum ExportImpl {
    /// The MagicMail HTTP/XML API v2.
    MagicMail(MagicMailExport),
}

/// An instance and the options it was built from, by `exportnum`.
type Cache = HashMap<i64, (BTreeMap<String, String>, Arc<ExportImpl>)>;

/// The export instances of this process.
#[derive(Debug, Default)]
pub struct Registry {
    cache: Mutex<Cache>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The instance for `def`, built or rebuilt as needed.
    ///
    /// # Errors
    /// [`ServiceError::Refused`] for an unknown type or unusable options.
    pub fn get(&self, def: &ExportDef) -> Result<Arc<ExportImpl>, ServiceError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((options, instance)) = cache.get(&def.exportnum) {
            if *options == def.options {
                return Ok(instance.clone());
            }
        }
        let instance = match def.export_type.as_str() {
            "magicmail" => ExportImpl::MagicMail(
                MagicMailExport::from_options(&def.options)
                    .map_err(|e| ServiceError::Refused(format!("export {}: {e}", def.name)))?,
            ),
            other => {
                return Err(ServiceError::Refused(format!(
                    "export {}: unknown type {other}",
                    def.name
                )))
            }
        };
        let instance = Arc::new(instance);
        cache.insert(def.exportnum, (def.options.clone(), instance.clone()));
        Ok(instance)
    }
}
