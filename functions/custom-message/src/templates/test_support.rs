//! Fixtures shared by the template tests: a brand, a locale and a
//! throw-away `TEMPLATES_DIR`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cognito_auth_core::config::ConfigError;
use minijinja::value::Value;

use super::{Catalog, Vars};
use crate::config::Brand;
use crate::limits::Placeholders;
use crate::locale::Locale;

pub(super) fn brand(name: &str) -> Brand {
    Brand {
        app_name: name.to_owned(),
        app_url: Some(format!(
            "https://{}.example.com/sign-in?a=1&b=2",
            "x".repeat(40)
        )),
        support_email: Some("support@example.com".to_owned()),
    }
}

pub(super) fn en() -> Locale {
    Locale::parse("en").unwrap()
}

/// A throw-away TEMPLATES_DIR.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(files: &[(&str, &str)]) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "custom-message-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        for (name, source) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, source).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(super) fn load(&self) -> Result<Catalog, ConfigError> {
        Catalog::load(&brand("Acme"), &en(), Some(&self.0))
    }

    /// Loads, expecting an init error about `file`.
    pub(super) fn fails_naming(&self, file: &str) -> String {
        let error = self.load().unwrap_err();
        assert_eq!(error.variable, "TEMPLATES_DIR", "{error}");
        let path = self.0.join(file);
        assert!(
            error.reason.contains(&path.display().to_string()),
            "{error} does not name {}",
            path.display()
        );
        error.reason
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn plain_vars() -> Vars<'static> {
    Vars {
        placeholders: Placeholders::COGNITO,
        name: None,
        attributes: Value::from(BTreeMap::<String, String>::new()),
    }
}
