//! The run-time side of the templates: compiling them once, choosing a
//! locale for an event and rendering. Kept apart from the init checks and
//! from disk access so the code every invocation runs reads on its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use cognito_auth_core::config::ConfigError;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use super::dir::read_dir;
use super::{BUILT_IN, Kind, LAST_RESORT, Origin, blame, template_name, user_error};
use crate::config::{self, Brand};
use crate::limits::{self, Channel, Placeholders};
use crate::locale::Locale;
use crate::notice::{Notice, Takeover, escape_html};
use crate::source::Source;

/// How much work one render may do (minijinja "fuel", roughly one unit per
/// instruction). A built-in message takes under 100; the cap stops an
/// operator template that loops away from eating Cognito's 5-second budget.
const FUEL: u64 = 200_000;

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
    /// Lower-case locale tag → the locale's canonical tag and the kinds it
    /// has every template of.
    pub(super) locales: BTreeMap<String, (String, BTreeSet<Kind>)>,
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
                config::DEFAULT_LOCALE,
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

    /// The locale to render `kind` (a [`Source`] or a [`Notice`]) in: the
    /// first of `wanted` (most preferred first), each falling back from
    /// region to language, that has templates for `kind`; else
    /// `DEFAULT_LOCALE` the same way; else [`LAST_RESORT`].
    pub fn resolve(&self, wanted: &[Locale], kind: impl Into<Kind>) -> &str {
        let kind = kind.into();
        let wanted = wanted
            .iter()
            .flat_map(Locale::fallbacks)
            .map(str::to_ascii_lowercase);
        wanted
            .chain(self.default_chain.iter().cloned())
            .find_map(|key| {
                self.locales
                    .get(&key)
                    .filter(|(_, kinds)| kinds.contains(&kind))
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
        let name = template_name(locale, source.into(), channel);
        let template = self.env.get_template(&name)?;
        let rendered = template.render(self.context(locale, channel, vars))?;
        Ok(limits::tidy(channel, &rendered))
    }

    /// Renders and tidies one text of the account-takeover notice. The
    /// links go to an HTML body escaped and marked safe (readable `https://`
    /// rather than `https:&#x2f;&#x2f;`, as `app_url`); everything else is
    /// auto-escaped there.
    pub fn render_takeover(
        &self,
        locale: &str,
        channel: Channel,
        takeover: &Takeover<'_>,
    ) -> Result<String, minijinja::Error> {
        let name = template_name(locale, Notice::AccountTakeOver.into(), channel);
        let template = self.env.get_template(&name)?;
        let link = |url: &str| match channel {
            Channel::Email => Value::from_safe_string(escape_html(url)),
            Channel::Subject | Channel::Sms => Value::from(url),
        };
        let optional = |value: Option<&str>| value.map_or(Value::UNDEFINED, Value::from);
        let context = context! {
            action => takeover.action.code(),
            user_name => takeover.user_name,
            ip_address => takeover.ip_address,
            city => optional(takeover.city),
            country => optional(takeover.country),
            device_name => optional(takeover.device_name),
            login_time => takeover.login_time,
            valid_link => link(takeover.valid_link),
            invalid_link => link(takeover.invalid_link),
            ..self.brand_context(locale, channel)
        };
        let rendered = template.render(context)?;
        Ok(limits::tidy(channel, &rendered))
    }

    fn context(&self, locale: &str, channel: Channel, vars: &Vars<'_>) -> Value {
        let safe = |text: &str| Value::from_safe_string(text.to_owned());
        let placeholders = &vars.placeholders;
        let undefined_if_none = |value: Option<Value>| value.unwrap_or(Value::UNDEFINED);
        context! {
            code => safe(placeholders.code),
            username => undefined_if_none(placeholders.username.map(safe)),
            link => undefined_if_none(placeholders.link.map(safe)),
            name => undefined_if_none(vars.name.map(Value::from)),
            attributes => vars.attributes.clone(),
            ..self.brand_context(locale, channel)
        }
    }

    /// What every template sees: the brand and the locale.
    fn brand_context(&self, locale: &str, channel: Channel) -> Value {
        let safe = |text: &str| Value::from_safe_string(text.to_owned());
        // APP_URL was checked at init to hold no quote, angle bracket or
        // space, so `&` is the only character HTML needs escaped. Marking it
        // safe keeps `https://` readable instead of `https:&#x2f;&#x2f;`.
        let app_url = self.brand.app_url.as_deref().map(|url| match channel {
            Channel::Email => safe(&url.replace('&', "&amp;")),
            Channel::Subject | Channel::Sms => Value::from(url),
        });
        let undefined_if_none = |value: Option<Value>| value.unwrap_or(Value::UNDEFINED);
        context! {
            locale => locale,
            app_name => self.brand.app_name.as_str(),
            app_url => undefined_if_none(app_url),
            support_email => undefined_if_none(self.brand.support_email.as_deref().map(Value::from)),
        }
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
                config::TEMPLATES_DIR,
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

/// Which locales can serve which kinds. A kind counts when all of its
/// templates exist (three for a source, two for a notice); a locale folder
/// that has some but not all of them (with no built-in file to fill the
/// gap) is an error.
fn index_locales(
    origins: &HashMap<String, Origin>,
    templates_dir: Option<&Path>,
) -> Result<BTreeMap<String, (String, BTreeSet<Kind>)>, ConfigError> {
    let mut locales: BTreeMap<String, (String, BTreeSet<Kind>)> = BTreeMap::new();
    let mut names: Vec<&String> = origins.keys().collect();
    names.sort();
    for name in names {
        let Some((tag, file)) = name.split_once('/') else {
            continue;
        };
        let entry = locales
            .entry(tag.to_ascii_lowercase())
            .or_insert_with(|| (tag.to_owned(), BTreeSet::new()));
        let Some(kind) = file
            .split_once('.')
            .and_then(|(stem, _)| Kind::from_stem(stem))
        else {
            continue;
        };
        let missing: Vec<String> = kind
            .channels()
            .iter()
            .map(|&channel| template_name(tag, kind, channel))
            .filter(|name| !origins.contains_key(name))
            .collect();
        if missing.is_empty() {
            entry.1.insert(kind);
        } else {
            let dir = templates_dir.unwrap_or(Path::new("templates"));
            return Err(user_error(
                &dir.join(name),
                &format!(
                    "has no companion {} (a source needs a subject, an HTML body and an SMS text; \
                     a notice a subject and an HTML body)",
                    missing.join(" and ")
                ),
            ));
        }
    }
    Ok(locales)
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use minijinja::value::Value;

    use super::*;
    use crate::templates::dir::is_template_file_name;
    use crate::templates::test_support::{TempDir, brand, en, plain_vars};
    use crate::templates::{BUILT_IN, Kind, LAST_RESORT, LAYOUT, template_name};

    #[test]
    fn autoescape_blocks_are_spotted() {
        assert!(turns_escaping_off(
            "a {% autoescape false %}{{ x }}{% endautoescape %}"
        ));
        assert!(turns_escaping_off("a {%- autoescape false -%}"));
        assert!(!turns_escaping_off("{% if x %}autoescape{% endif %}"));
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
            for kind in Kind::all() {
                for &channel in kind.channels() {
                    let name = template_name(locale, kind, channel);
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
