//! Reading `TEMPLATES_DIR`: one folder per locale, each file a known
//! template name. Disk access and its errors live here so the catalogue
//! works on names and sources only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cognito_auth_core::config::ConfigError;

use super::{Kind, LAYOUT, user_error};
use crate::limits::Channel;
use crate::locale::Locale;

/// The largest template file read from `TEMPLATES_DIR`. The largest message
/// is 20,000 characters; a template many times that is a mistake.
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

/// Reads `<dir>/<locale>/<file>`: `(name, source, path)` for each template,
/// with the locale folder in canonical casing. Anything that is not a known
/// template name is refused, so a misspelt file cannot be silently ignored.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<(String, String, PathBuf)>, ConfigError> {
    let mut templates = Vec::new();
    let mut seen_locales: BTreeMap<String, PathBuf> = BTreeMap::new();
    for locale_dir in list(dir)? {
        let folder = file_name(&locale_dir)?;
        if !locale_dir.is_dir() {
            return Err(user_error(
                &locale_dir,
                "is not a folder; TEMPLATES_DIR holds one folder per locale (en, pt-BR, ...)",
            ));
        }
        let locale = Locale::parse(folder).ok_or_else(|| {
            user_error(&locale_dir, "is not a locale tag such as `en` or `pt-BR`")
        })?;
        if let Some(other) =
            seen_locales.insert(locale.as_str().to_ascii_lowercase(), locale_dir.clone())
        {
            return Err(user_error(
                &locale_dir,
                &format!("is the same locale as {}", other.display()),
            ));
        }
        for path in list(&locale_dir)? {
            let file = file_name(&path)?;
            if !path.is_file() {
                return Err(user_error(&path, "is not a file"));
            }
            if !is_template_file_name(file) {
                return Err(user_error(
                    &path,
                    "is not a template name: expected layout.html, \
                     <source>.subject.txt, <source>.html or <source>.sms.txt \
                     (sources: sign_up, resend_code, forgot_password, update_user_attribute, \
                     verify_user_attribute, admin_create_user, authentication), \
                     account_take_over.subject.txt or account_take_over.html (a notice: \
                     email only), or a partial named _<name>.html or _<name>.txt",
                ));
            }
            let size = std::fs::metadata(&path)
                .map_err(|error| user_error(&path, &format!("cannot be read: {error}")))?
                .len();
            if size > MAX_TEMPLATE_BYTES {
                return Err(user_error(
                    &path,
                    &format!("is larger than {MAX_TEMPLATE_BYTES} bytes"),
                ));
            }
            let source = std::fs::read_to_string(&path).map_err(|error| {
                user_error(&path, &format!("cannot be read as UTF-8 text: {error}"))
            })?;
            templates.push((format!("{locale}/{file}"), source, path));
        }
    }
    Ok(templates)
}

/// The entries of a folder, sorted, without hidden files.
fn list(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| user_error(dir, &format!("cannot be read as a folder: {error}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|error| user_error(dir, &format!("cannot be listed: {error}")))?
            .path();
        if !path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with('.'))
        {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> Result<&str, ConfigError> {
    path.file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| user_error(path, "has a name that is not UTF-8"))
}

/// `layout.html`, `<stem>.<channel suffix>`, or a partial `_<name>.html|.txt`.
pub(super) fn is_template_file_name(file: &str) -> bool {
    if file == LAYOUT {
        return true;
    }
    if let Some(partial) = file.strip_prefix('_') {
        let stem = partial
            .strip_suffix(".html")
            .or_else(|| partial.strip_suffix(".txt"));
        return stem.is_some_and(|stem| {
            !stem.is_empty()
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    }
    file.split_once('.').is_some_and(|(stem, suffix)| {
        Kind::from_stem(stem).is_some_and(|kind| {
            Channel::from_file_suffix(suffix)
                .is_some_and(|channel| kind.channels().contains(&channel))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::Catalog;
    use crate::templates::test_support::{brand, en};

    #[test]
    fn template_file_names() {
        for ok in [
            "layout.html",
            "sign_up.html",
            "admin_create_user.sms.txt",
            "account_take_over.subject.txt",
            "account_take_over.html",
            "_footer.html",
            "_sig.txt",
        ] {
            assert!(is_template_file_name(ok), "{ok}");
        }
        for bad in [
            "signup.html",
            "sign_up.htm",
            "sign_up.txt",
            "README.md",
            "_.html",
            "_a b.html",
            "layout.txt",
            "account_take_over.sms.txt",
            "account_takeover.html",
        ] {
            assert!(!is_template_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_missing_folder_fails_init() {
        let missing = std::env::temp_dir().join("custom-message-test-does-not-exist");
        let error = Catalog::load(&brand("Acme"), &en(), Some(&missing)).unwrap_err();
        assert_eq!(error.variable, "TEMPLATES_DIR");
        assert!(
            error.reason.contains("cannot be read as a folder"),
            "{error}"
        );
    }
}
