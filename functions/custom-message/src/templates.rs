//! The template catalogue: built-in templates, the operator's own templates
//! from `TEMPLATES_DIR`, locale resolution, and the init-time checks.
//!
//! # Layout
//!
//! ```text
//! templates/<locale>/layout.html                  the HTML shell the bodies extend
//! templates/<locale>/<source>.subject.txt         one per source (sign_up, resend_code, ...)
//! templates/<locale>/<source>.html
//! templates/<locale>/<source>.sms.txt
//! templates/<locale>/_<partial>.html|.txt         optional, for {% include %}
//! ```
//!
//! The same layout serves the built-in templates (embedded by `build.rs`) and
//! `TEMPLATES_DIR`. A file in `TEMPLATES_DIR` replaces the built-in file of
//! the same name, so an operator can restyle `en/layout.html` alone, or add a
//! language with a new folder. A locale that is not built in must supply all
//! three files of each source it supplies, so one message never mixes
//! languages. A name without `/` in `{% extends %}` or `{% include %}` is
//! looked up in the including template's own locale folder.
//!
//! # What a template sees
//!
//! | variable | value |
//! |---|---|
//! | `code` | `request.codeParameter`, raw |
//! | `username` | `request.usernameParameter`, raw (AdminCreateUser) |
//! | `link` | `request.linkParameter`, raw, when the event has one |
//! | `name` | the user's `given_name`, else `name`, only when it cannot carry a link ([`crate::message::display_name`]) |
//! | `attributes` | every user attribute, as text |
//! | `app_name`, `app_url`, `support_email` | the brand, from the environment |
//! | `locale` | the locale whose templates are rendering, e.g. `pt` |
//!
//! The placeholders are passed as safe values: HTML auto-escaping leaves them
//! byte for byte as Cognito sent them, which Cognito needs to find and replace
//! them. Everything else is escaped in `.html` templates. An absent value is
//! undefined: test it with `{% if link %}`, or print it with a default,
//! `{{ attributes.nickname|default('') }}` (printing an undefined value is an
//! error, which the init check turns into a clear message). `attributes` is
//! escaped but not vetted like `name`: a value such as `evil.example` is
//! shown as text, which mail clients may still turn into a link.
//!
//! # Checks
//!
//! Every template a message can be built from is rendered at init, twice:
//! with Cognito's placeholders, a link and sample attributes; then with
//! stand-in placeholders, no link and no attributes (which catches a
//! placeholder written literally instead of taken from the event). Both
//! results must obey [`crate::limits`]. A template that fails stops the cold
//! start with a [`ConfigError`] naming the file.
//!
//! Operator templates cannot turn escaping off: the `safe` filter is removed
//! and `{% autoescape %}` blocks are refused at init.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use cognito_auth_core::config::ConfigError;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use crate::config::Brand;
use crate::limits::{self, Channel, Placeholders};
use crate::locale::Locale;
use crate::source::Source;

include!(concat!(env!("OUT_DIR"), "/built_in.rs"));

/// The locale that is always complete: every built-in source ships in it,
/// so it ends every fallback chain.
pub const LAST_RESORT: &str = "en";

/// The largest template file read from `TEMPLATES_DIR`. The largest message
/// is 20,000 characters; a template many times that is a mistake.
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

/// How much work one render may do (minijinja "fuel", roughly one unit per
/// instruction). A built-in message takes under 100; the cap stops an
/// operator template that loops away from eating Cognito's 5-second budget.
const FUEL: u64 = 200_000;

/// The name of the shared HTML shell in each locale folder.
const LAYOUT: &str = "layout.html";

/// Where a template came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    BuiltIn,
    User(PathBuf),
}

/// Everything a message is rendered from, for one event.
#[derive(Debug, Clone)]
pub struct Vars<'a> {
    /// The request's placeholders.
    pub placeholders: Placeholders<'a>,
    /// The display name, already vetted by [`crate::message::display_name`].
    pub name: Option<&'a str>,
    /// The user attributes as a template value (built once per event).
    pub attributes: Value,
}

impl Vars<'_> {
    /// The same placeholders with no user data at all: the fallback when a
    /// message with user data breaks a rule.
    pub fn without_user_data(&self) -> Self {
        Vars {
            placeholders: self.placeholders,
            name: None,
            attributes: Value::from(BTreeMap::<String, String>::new()),
        }
    }
}

/// Every template, compiled and checked.
pub struct Catalog {
    env: Environment<'static>,
    brand: Brand,
    /// Lower-case locale tag → the locale's canonical tag and the sources it
    /// has all three templates for.
    locales: BTreeMap<String, (String, BTreeSet<Source>)>,
    /// The fallback chain of `DEFAULT_LOCALE`, then [`LAST_RESORT`].
    default_chain: Vec<String>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("locales", &self.locales.keys().collect::<Vec<_>>())
            .field("default_chain", &self.default_chain)
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Loads the built-in templates and, when given, the operator's, then
    /// checks every template a message can be rendered from.
    pub fn load(
        brand: &Brand,
        default_locale: &Locale,
        templates_dir: Option<&Path>,
    ) -> Result<Catalog, ConfigError> {
        let mut files: BTreeMap<String, (String, Origin)> = BUILT_IN
            .iter()
            .map(|(name, source)| ((*name).to_owned(), ((*source).to_owned(), Origin::BuiltIn)))
            .collect();
        if let Some(dir) = templates_dir {
            for (name, source, path) in read_dir(dir)? {
                files.insert(name, (source, Origin::User(path)));
            }
        }

        let mut env = environment()?;
        let mut origins = HashMap::new();
        for (name, (source, origin)) in files {
            if let Origin::User(path) = &origin
                && turns_escaping_off(&source)
            {
                return Err(user_error(
                    path,
                    "uses {% autoescape %}; escaping cannot be turned off",
                ));
            }
            env.add_template_owned(name.clone(), source)
                .map_err(|error| blame(&origin, &name, &format!("does not parse: {error}")))?;
            origins.insert(name, origin);
        }

        let locales = index_locales(&origins, templates_dir)?;
        // DEFAULT_LOCALE must name (or fall back to) a locale with templates;
        // the built-in English always ends the chain.
        let mut default_chain: Vec<String> = default_locale
            .fallbacks()
            .map(str::to_ascii_lowercase)
            .filter(|key| {
                locales
                    .get(key)
                    .is_some_and(|(_, sources)| !sources.is_empty())
            })
            .collect();
        if default_chain.is_empty() {
            let available: Vec<&str> = locales
                .values()
                .filter(|(_, sources)| !sources.is_empty())
                .map(|(tag, _)| tag.as_str())
                .collect();
            return Err(ConfigError::new(
                "DEFAULT_LOCALE",
                format!(
                    "has no templates for `{default_locale}`; available: {}",
                    available.join(", ")
                ),
            ));
        }
        default_chain.push(LAST_RESORT.to_owned());

        let catalog = Catalog {
            env,
            brand: brand.clone(),
            locales,
            default_chain,
        };
        catalog.check_all(&origins, templates_dir)?;
        Ok(catalog)
    }

    /// The canonical tags of every locale with templates.
    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.locales.values().map(|(tag, _)| tag.as_str())
    }

    /// The locale to render `source` in: the first of `wanted` (most
    /// preferred first), each falling back from region to language, that has
    /// templates for `source`; else `DEFAULT_LOCALE` the same way; else
    /// [`LAST_RESORT`].
    pub fn resolve(&self, wanted: &[Locale], source: Source) -> &str {
        let wanted = wanted
            .iter()
            .flat_map(Locale::fallbacks)
            .map(str::to_ascii_lowercase);
        wanted
            .chain(self.default_chain.iter().cloned())
            .find_map(|key| {
                self.locales
                    .get(&key)
                    .filter(|(_, sources)| sources.contains(&source))
                    .map(|(tag, _)| tag.as_str())
            })
            .unwrap_or(LAST_RESORT)
    }

    /// Renders and tidies one text. Errors are the engine's: the caller logs
    /// them and falls back.
    pub fn render(
        &self,
        locale: &str,
        source: Source,
        channel: Channel,
        vars: &Vars<'_>,
    ) -> Result<String, minijinja::Error> {
        let name = template_name(locale, source, channel);
        let template = self.env.get_template(&name)?;
        let rendered = template.render(self.context(locale, channel, vars))?;
        Ok(limits::tidy(channel, &rendered))
    }

    fn context(&self, locale: &str, channel: Channel, vars: &Vars<'_>) -> Value {
        let safe = |text: &str| Value::from_safe_string(text.to_owned());
        let placeholders = &vars.placeholders;
        // APP_URL was checked at init to hold no quote, angle bracket or
        // space, so `&` is the only character HTML needs escaped. Marking it
        // safe keeps `https://` readable instead of `https:&#x2f;&#x2f;`.
        let app_url = self.brand.app_url.as_deref().map(|url| match channel {
            Channel::Email => safe(&url.replace('&', "&amp;")),
            Channel::Subject | Channel::Sms => Value::from(url),
        });
        let undefined_if_none = |value: Option<Value>| value.unwrap_or(Value::UNDEFINED);
        context! {
            code => safe(placeholders.code),
            username => undefined_if_none(placeholders.username.map(safe)),
            link => undefined_if_none(placeholders.link.map(safe)),
            name => undefined_if_none(vars.name.map(Value::from)),
            attributes => vars.attributes.clone(),
            locale => locale,
            app_name => self.brand.app_name.as_str(),
            app_url => undefined_if_none(app_url),
            support_email => undefined_if_none(self.brand.support_email.as_deref().map(Value::from)),
        }
    }

    /// Renders every (locale, source, channel) twice and checks the rules.
    fn check_all(
        &self,
        origins: &HashMap<String, Origin>,
        templates_dir: Option<&Path>,
    ) -> Result<(), ConfigError> {
        let sample_attributes: BTreeMap<String, String> = [
            ("sub", "4f1c6b2e-0d3a-4c59-9e7a-2b8d5f0a1c3e"),
            ("email", "maria.silva@example.com"),
            ("email_verified", "true"),
            ("given_name", "Maria"),
            ("family_name", "Silva"),
            ("phone_number", "+5511912345678"),
            ("locale", "pt-BR"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sample_attributes = Value::from(sample_attributes);

        for (tag, sources) in self.locales.values() {
            for &source in sources {
                let username = |value| source.needs_username().then_some(value);
                let with_user_data = Vars {
                    placeholders: Placeholders {
                        username: username("{username}"),
                        ..Placeholders::COGNITO
                    },
                    name: Some("Maria"),
                    attributes: sample_attributes.clone(),
                };
                // As long as Cognito's, so the limits are measured alike.
                let stand_ins = Vars {
                    placeholders: Placeholders {
                        code: "[code]",
                        username: username("[username]"),
                        link: None,
                    },
                    ..with_user_data.without_user_data()
                };
                for channel in Channel::ALL {
                    for (vars, label) in [
                        (
                            &with_user_data,
                            "with Cognito's placeholders, a link and sample attributes",
                        ),
                        (
                            &stand_ins,
                            "with other placeholder values, no link and no attributes \
                             (use {{ code }} and {{ username }}, never a literal {####})",
                        ),
                    ] {
                        let problem = match self.render(tag, source, channel, vars) {
                            Err(error) => Some(format!("cannot be rendered {label}: {error}")),
                            Ok(text) => limits::check(channel, source, &text, &vars.placeholders)
                                .err()
                                .map(|broken| format!("breaks a Cognito rule {label}: {broken}")),
                        };
                        if let Some(problem) = problem {
                            let name = template_name(tag, source, channel);
                            let origin = origins.get(&name).cloned().unwrap_or(Origin::BuiltIn);
                            return Err(match (&origin, templates_dir) {
                                (Origin::BuiltIn, Some(dir)) if has_user_files(origins, tag) => {
                                    ConfigError::new(
                                        "TEMPLATES_DIR",
                                        format!(
                                            "built-in template {name} {problem} (it uses your files in {})",
                                            dir.join(tag).display()
                                        ),
                                    )
                                }
                                _ => blame(&origin, &name, &problem),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The engine, configured once.
fn environment() -> Result<Environment<'static>, ConfigError> {
    let mut env = Environment::new();
    // Jinja's usual whitespace control: a line holding only a block tag
    // leaves no blank line behind.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|error| {
            ConfigError::new(
                "TEMPLATES_DIR",
                format!("template syntax set-up failed: {error}"),
            )
        })?;
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // Nothing may mark user data as markup. The placeholders are made safe in
    // Rust, so no template needs this filter.
    env.remove_filter("safe");
    // A typo in a variable name fails the init check instead of printing an
    // empty string; `{% if link %}` still works on an absent value.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    // `{% extends "layout.html" %}` means the layout of the template's own
    // locale; a name with a `/` is taken as is.
    env.set_path_join_callback(|name, parent| {
        if name.contains('/') {
            name.into()
        } else {
            match parent.rsplit_once('/') {
                Some((folder, _)) => format!("{folder}/{name}").into(),
                None => name.into(),
            }
        }
    });
    Ok(env)
}

/// `<locale>/<stem>.<suffix>`.
fn template_name(locale: &str, source: Source, channel: Channel) -> String {
    format!("{locale}/{}.{}", source.stem(), channel.file_suffix())
}

/// Which locales can serve which sources. A source counts when all three of
/// its templates exist; a locale folder that has some but not all of them
/// (with no built-in file to fill the gap) is an error.
fn index_locales(
    origins: &HashMap<String, Origin>,
    templates_dir: Option<&Path>,
) -> Result<BTreeMap<String, (String, BTreeSet<Source>)>, ConfigError> {
    let mut locales: BTreeMap<String, (String, BTreeSet<Source>)> = BTreeMap::new();
    let mut names: Vec<&String> = origins.keys().collect();
    names.sort();
    for name in names {
        let Some((tag, file)) = name.split_once('/') else {
            continue;
        };
        let entry = locales
            .entry(tag.to_ascii_lowercase())
            .or_insert_with(|| (tag.to_owned(), BTreeSet::new()));
        let Some(source) = file
            .split_once('.')
            .and_then(|(stem, _)| Source::from_stem(stem))
        else {
            continue;
        };
        let missing: Vec<String> = Channel::ALL
            .into_iter()
            .map(|channel| template_name(tag, source, channel))
            .filter(|name| !origins.contains_key(name))
            .collect();
        if missing.is_empty() {
            entry.1.insert(source);
        } else {
            let dir = templates_dir.unwrap_or(Path::new("templates"));
            return Err(user_error(
                &dir.join(name),
                &format!(
                    "has no companion {} (a source needs a subject, an HTML body and an SMS text)",
                    missing.join(" and ")
                ),
            ));
        }
    }
    Ok(locales)
}

/// Whether the operator supplied any file for `locale`.
fn has_user_files(origins: &HashMap<String, Origin>, locale: &str) -> bool {
    origins.iter().any(|(name, origin)| {
        matches!(origin, Origin::User(_))
            && name.split_once('/').is_some_and(|(tag, _)| tag == locale)
    })
}

/// The error for a template that fails, naming its file.
fn blame(origin: &Origin, name: &str, problem: &str) -> ConfigError {
    match origin {
        Origin::User(path) => user_error(path, problem),
        // Only reachable with a brand the config checks should have refused;
        // the built-ins are checked with the longest brand in a unit test.
        Origin::BuiltIn => {
            ConfigError::new("APP_NAME", format!("built-in template {name} {problem}"))
        }
    }
}

fn user_error(path: &Path, problem: &str) -> ConfigError {
    ConfigError::new("TEMPLATES_DIR", format!("{}: {problem}", path.display()))
}

/// Whether a template source opens an `{% autoescape %}` block.
fn turns_escaping_off(source: &str) -> bool {
    source.match_indices("{%").any(|(at, _)| {
        source[at + 2..]
            .trim_start_matches(['-', '+'])
            .trim_start()
            .starts_with("autoescape")
    })
}

/// Reads `<dir>/<locale>/<file>`: `(name, source, path)` for each template,
/// with the locale folder in canonical casing. Anything that is not a known
/// template name is refused, so a misspelt file cannot be silently ignored.
fn read_dir(dir: &Path) -> Result<Vec<(String, String, PathBuf)>, ConfigError> {
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
                     or a partial named _<name>.html or _<name>.txt",
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
fn is_template_file_name(file: &str) -> bool {
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
        Source::from_stem(stem).is_some() && Channel::from_file_suffix(suffix).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::APP_NAME_MAX;

    fn brand(name: &str) -> Brand {
        Brand {
            app_name: name.to_owned(),
            app_url: Some(format!(
                "https://{}.example.com/sign-in?a=1&b=2",
                "x".repeat(40)
            )),
            support_email: Some("support@example.com".to_owned()),
        }
    }

    fn en() -> Locale {
        Locale::parse("en").unwrap()
    }

    #[test]
    fn built_in_templates_are_complete_and_named_as_expected() {
        let mut locales = BTreeSet::new();
        for (name, _) in BUILT_IN {
            let (locale, file) = name.split_once('/').expect("<locale>/<file>");
            assert!(is_template_file_name(file), "{name}");
            assert_eq!(Locale::parse(locale).unwrap().as_str(), locale, "{name}");
            locales.insert(locale);
        }
        assert!(
            locales.len() >= 3,
            "English and at least two more: {locales:?}"
        );
        assert!(locales.contains(LAST_RESORT));
        for locale in locales {
            for source in Source::ALL {
                for channel in Channel::ALL {
                    let name = template_name(locale, source, channel);
                    assert!(BUILT_IN.iter().any(|(n, _)| *n == name), "missing {name}");
                }
            }
            let layout = format!("{locale}/{LAYOUT}");
            assert!(
                BUILT_IN.iter().any(|(n, _)| *n == layout),
                "missing {layout}"
            );
        }
    }

    /// The built-ins go through the same checks as an operator's templates,
    /// with the longest brand the configuration allows and with the shortest.
    #[test]
    fn built_in_templates_pass_the_init_checks() {
        let longest = "W".repeat(APP_NAME_MAX);
        for name in [longest.as_str(), "A"] {
            for brand in [
                brand(name),
                Brand {
                    app_name: name.to_owned(),
                    app_url: None,
                    support_email: None,
                },
            ] {
                let catalog = Catalog::load(&brand, &en(), None).unwrap();
                assert_eq!(catalog.locales().collect::<Vec<_>>(), ["en", "es", "pt"]);
            }
        }
    }

    #[test]
    fn built_in_templates_have_room_to_spare() {
        // Report how close the longest text gets, so a translation that
        // creeps towards the limit is noticed before it breaks.
        let catalog = Catalog::load(&brand(&"W".repeat(APP_NAME_MAX)), &en(), None).unwrap();
        let vars = Vars {
            placeholders: Placeholders::COGNITO,
            name: Some("Maria"),
            attributes: Value::from(BTreeMap::<String, String>::new()),
        };
        for locale in ["en", "es", "pt"] {
            for source in Source::ALL {
                for channel in [Channel::Subject, Channel::Sms] {
                    let text = catalog.render(locale, source, channel, &vars).unwrap();
                    assert!(
                        limits::length(&text) <= channel.limit(),
                        "{locale}/{} {channel}: {} characters",
                        source.stem(),
                        limits::length(&text)
                    );
                }
            }
        }
    }

    #[test]
    fn placeholders_are_never_escaped_and_attributes_always_are() {
        let catalog = Catalog::load(&brand("Tom & Jerry"), &en(), None).unwrap();
        let attributes: BTreeMap<String, String> =
            [("given_name".to_owned(), "<b>x</b>".to_owned())]
                .into_iter()
                .collect();
        let vars = Vars {
            placeholders: Placeholders {
                code: "<&code'\">",
                username: Some("{user&name}"),
                link: Some("{##Click <Here>##}"),
            },
            name: Some("<script>alert(1)</script>"),
            attributes: Value::from(attributes),
        };
        let html = catalog
            .render("en", Source::AdminCreateUser, Channel::Email, &vars)
            .unwrap();
        assert!(html.contains("<&code'\">"), "{html}");
        assert!(html.contains("{user&name}"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Tom &amp; Jerry"), "{html}");
        assert!(html.contains("href=\"https://"), "{html}");
        assert!(html.contains("?a=1&amp;b=2"), "{html}");
        let sign_up = catalog
            .render("en", Source::SignUp, Channel::Email, &vars)
            .unwrap();
        assert!(sign_up.contains("{##Click <Here>##}"), "{sign_up}");
        // Plain-text channels are not escaped at all.
        let sms = catalog
            .render("en", Source::AdminCreateUser, Channel::Sms, &vars)
            .unwrap();
        assert!(sms.starts_with("Tom & Jerry: "), "{sms}");
    }

    #[test]
    fn resolution_falls_back_from_region_to_language_to_default() {
        let catalog = Catalog::load(&brand("Acme"), &Locale::parse("es").unwrap(), None).unwrap();
        let tags = |tags: &[&str]| {
            tags.iter()
                .map(|t| Locale::parse(t).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(catalog.resolve(&tags(&["pt-BR"]), Source::SignUp), "pt");
        assert_eq!(
            catalog.resolve(&tags(&["PT_br", "es"]), Source::SignUp),
            "pt"
        );
        assert_eq!(
            catalog.resolve(&tags(&["de-DE", "pt"]), Source::SignUp),
            "pt"
        );
        assert_eq!(catalog.resolve(&tags(&["de"]), Source::SignUp), "es");
        assert_eq!(catalog.resolve(&[], Source::SignUp), "es");
        let catalog =
            Catalog::load(&brand("Acme"), &Locale::parse("pt-PT").unwrap(), None).unwrap();
        assert_eq!(catalog.resolve(&[], Source::SignUp), "pt");
    }

    #[test]
    fn an_unknown_default_locale_is_refused() {
        let error = Catalog::load(&brand("Acme"), &Locale::parse("de").unwrap(), None).unwrap_err();
        assert_eq!(error.variable, "DEFAULT_LOCALE");
        assert!(error.reason.contains("en, es, pt"), "{error}");
    }

    #[test]
    fn autoescape_blocks_are_spotted() {
        assert!(turns_escaping_off(
            "a {% autoescape false %}{{ x }}{% endautoescape %}"
        ));
        assert!(turns_escaping_off("a {%- autoescape false -%}"));
        assert!(!turns_escaping_off("{% if x %}autoescape{% endif %}"));
    }

    #[test]
    fn template_file_names() {
        for ok in [
            "layout.html",
            "sign_up.html",
            "admin_create_user.sms.txt",
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
        ] {
            assert!(!is_template_file_name(bad), "{bad}");
        }
    }

    /// A throw-away TEMPLATES_DIR.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(files: &[(&str, &str)]) -> TempDir {
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

        fn load(&self) -> Result<Catalog, ConfigError> {
            Catalog::load(&brand("Acme"), &en(), Some(&self.0))
        }

        /// Loads, expecting an init error about `file`.
        fn fails_naming(&self, file: &str) -> String {
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

    fn plain_vars() -> Vars<'static> {
        Vars {
            placeholders: Placeholders::COGNITO,
            name: None,
            attributes: Value::from(BTreeMap::<String, String>::new()),
        }
    }

    #[test]
    fn operator_files_replace_built_ins_and_add_languages() {
        let dir = TempDir::new(&[
            ("en/sign_up.subject.txt", "Welcome aboard {{ app_name }}\n"),
            (
                "de/layout.html",
                "<html>{% block content %}{% endblock %}<p>{% include \"_footer.html\" %}</p></html>",
            ),
            ("de/_footer.html", "Fragen? {{ support_email }}"),
            ("de/sign_up.subject.txt", "Willkommen bei {{ app_name }}"),
            (
                "de/sign_up.html",
                "{% extends \"layout.html\" %}{% block content %}Code: {{ code }}{% endblock %}",
            ),
            (
                "de/sign_up.sms.txt",
                "{{ app_name }}: Ihr Code lautet {{ code }}",
            ),
            (".DS_Store", "ignored"),
        ]);
        let catalog = dir.load().unwrap();
        let vars = plain_vars();
        assert_eq!(
            catalog
                .render("en", Source::SignUp, Channel::Subject, &vars)
                .unwrap(),
            "Welcome aboard Acme"
        );
        // The other English files are still the built-ins.
        assert_eq!(
            catalog
                .render("en", Source::SignUp, Channel::Sms, &vars)
                .unwrap(),
            "Acme: your verification code is {####}"
        );
        let de = [Locale::parse("de-AT").unwrap()];
        assert_eq!(catalog.resolve(&de, Source::SignUp), "de");
        assert_eq!(catalog.resolve(&de, Source::ForgotPassword), "en");
        assert_eq!(
            catalog
                .render("de", Source::SignUp, Channel::Email, &vars)
                .unwrap(),
            "<html>Code: {####}<p>Fragen? support@example.com</p></html>"
        );
    }

    #[test]
    fn a_new_locale_must_supply_every_file_of_a_source() {
        let dir = TempDir::new(&[("de/sign_up.html", "{{ code }}")]);
        let reason = dir.fails_naming("de/sign_up.html");
        assert!(
            reason.contains("de/sign_up.subject.txt and de/sign_up.sms.txt"),
            "{reason}"
        );
    }

    #[test]
    fn bad_operator_templates_fail_init_naming_the_file() {
        for (file, source, expected) in [
            (
                "en/sign_up.html",
                "{% if code %}{{ code }}",
                "does not parse",
            ),
            (
                "en/sign_up.sms.txt",
                "Your code is {####}",
                "code placeholder",
            ),
            (
                "en/admin_create_user.sms.txt",
                "Password {{ code }}",
                "username placeholder",
            ),
            (
                "en/sign_up.subject.txt",
                &"Welcome! ".repeat(20),
                "over the limit of 140",
            ),
            ("en/sign_up.html", "{{ code }} {{ link }}", "undefined"),
            (
                "en/sign_up.html",
                "{{ code }} {{ attributes.email|safe }}",
                "unknown filter",
            ),
            (
                "en/sign_up.html",
                "{% autoescape false %}{{ code }}{% endautoescape %}",
                "autoescape",
            ),
            (
                "en/sign_up.html",
                "{{ code|upper|urlencode }}",
                "unknown filter",
            ),
            (
                "en/sign_up.html",
                "{{ code }}{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
                "fuel",
            ),
            ("en/sign_up.html", "   ", "empty"),
            ("en/signup.html", "{{ code }}", "is not a template name"),
            ("en/README.md", "notes", "is not a template name"),
            (
                "en_US.UTF-8/sign_up.html",
                "{{ code }}",
                "is not a locale tag",
            ),
        ] {
            let dir = TempDir::new(&[(file, source)]);
            let folder = file
                .strip_suffix("/sign_up.html")
                .filter(|f| f.contains('.'))
                .unwrap_or(file);
            let reason = dir.fails_naming(folder);
            assert!(reason.contains(expected), "{file} {source:?}: {reason}");
        }
    }

    #[test]
    fn a_layout_that_breaks_the_built_ins_is_blamed_on_the_folder() {
        let dir = TempDir::new(&[("es/layout.html", "<html>{{ nope }}</html>")]);
        let error = dir.load().unwrap_err();
        assert_eq!(error.variable, "TEMPLATES_DIR");
        assert!(error.reason.contains("built-in template es/"), "{error}");
        assert!(
            error
                .reason
                .contains(&dir.0.join("es").display().to_string()),
            "{error}"
        );
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

    #[test]
    fn the_default_locale_may_come_from_templates_dir() {
        let dir = TempDir::new(&[
            ("de/sign_up.subject.txt", "Willkommen"),
            ("de/sign_up.html", "{{ code }}"),
            ("de/sign_up.sms.txt", "{{ code }}"),
        ]);
        let catalog =
            Catalog::load(&brand("Acme"), &Locale::parse("de").unwrap(), Some(&dir.0)).unwrap();
        assert_eq!(catalog.resolve(&[], Source::SignUp), "de");
        assert_eq!(catalog.resolve(&[], Source::Authentication), "en");
    }
}
