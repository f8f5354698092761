//! The init checks: every template a message can be built from is rendered
//! before the first event, so a broken operator template stops the cold
//! start with a message naming its file instead of failing a user's
//! sign-up later.
//!
//! Every template a message can be built from is rendered at init, twice:
//! with Cognito's placeholders, a link and sample attributes; then with
//! stand-in placeholders, no link and no attributes (which catches a
//! placeholder written literally instead of taken from the event). Both
//! results must obey [`crate::limits`]. A notice's templates are rendered
//! for every takeover action, with its fields and links at their longest
//! and with the optional ones absent, and must obey the same length limits
//! and carry both one-click links ([`crate::notice::check`]). A template
//! that fails stops the cold start with a [`ConfigError`] naming the file.
//!
//! Operator templates cannot turn escaping off: the `safe` filter is removed
//! and `{% autoescape %}` blocks are refused at init.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use cognito_auth_core::config::ConfigError;
use minijinja::value::Value;

use super::catalog::{Catalog, Vars};
use super::{Kind, Origin, blame, template_name};
use crate::config;
use crate::limits::{self, Channel, Placeholders};
use crate::notice::{self, FIELD_MAX, LINK_MAX, Notice, Takeover, TakeoverAction};
use crate::source::Source;

impl Catalog {
    /// Renders every (locale, kind, channel) with each set of sample values
    /// and checks the rules.
    pub(super) fn check_all(
        &self,
        origins: &HashMap<String, Origin>,
        templates_dir: Option<&Path>,
    ) -> Result<(), ConfigError> {
        for (tag, kinds) in self.locales.values() {
            for &kind in kinds {
                let problem = match kind {
                    Kind::Message(source) => self.check_message(tag, source),
                    Kind::Notice(Notice::AccountTakeOver) => self.check_takeover(tag),
                };
                if let Some((channel, problem)) = problem {
                    let name = template_name(tag, kind, channel);
                    let origin = origins.get(&name).cloned().unwrap_or(Origin::BuiltIn);
                    return Err(match (&origin, templates_dir) {
                        (Origin::BuiltIn, Some(dir)) if has_user_files(origins, tag) => {
                            ConfigError::new(
                                config::TEMPLATES_DIR,
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
        Ok(())
    }

    /// A source's three texts, twice: with Cognito's placeholders, a link
    /// and sample attributes; then with stand-in placeholders, no link and
    /// no attributes. The first problem found, by channel.
    fn check_message(&self, tag: &str, source: Source) -> Option<(Channel, String)> {
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
        let username = |value| source.needs_username().then_some(value);
        let with_user_data = Vars {
            placeholders: Placeholders {
                username: username("{username}"),
                ..Placeholders::COGNITO
            },
            name: Some("Maria"),
            attributes: Value::from(sample_attributes),
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
                    return Some((channel, problem));
                }
            }
        }
        None
    }

    /// The takeover notice's two texts, for every action, twice: with every
    /// field at its longest and made of the character HTML escapes longest
    /// (`'`, six characters as `&#x27;`) and links at [`LINK_MAX`]; then
    /// with short values and no city, country or device. Whatever an event
    /// holds, the sender's notice is no longer than the first.
    fn check_takeover(&self, tag: &str) -> Option<(Channel, String)> {
        let longest_field = "'".repeat(FIELD_MAX);
        let longest_link = |letter: &str| {
            let prefix = "https://example.com/";
            format!("{prefix}{}", letter.repeat(LINK_MAX - prefix.len()))
        };
        let (valid, invalid) = (longest_link("v"), longest_link("x"));
        for action in TakeoverAction::ALL {
            let longest = Takeover {
                action,
                user_name: &longest_field,
                ip_address: &longest_field,
                city: Some(&longest_field),
                country: Some(&longest_field),
                device_name: Some(&longest_field),
                login_time: &longest_field,
                valid_link: &valid,
                invalid_link: &invalid,
            };
            let shortest = Takeover {
                action,
                user_name: "maria.silva@example.com",
                ip_address: "203.0.113.7",
                city: None,
                country: None,
                device_name: None,
                login_time: "2026-12-07T04:00:00Z",
                valid_link: "https://example.com/v",
                invalid_link: "https://example.com/x",
            };
            for &channel in Notice::AccountTakeOver.channels() {
                for (takeover, label) in [
                    (
                        &longest,
                        "with every field and link at its longest, for ACCOUNT_TAKE_OVER_ACTION",
                    ),
                    (
                        &shortest,
                        "without CITY, COUNTRY or DEVICE_NAME, for ACCOUNT_TAKE_OVER_ACTION",
                    ),
                ] {
                    let code = action.code();
                    let problem = match self.render_takeover(tag, channel, takeover) {
                        Err(error) => Some(format!("cannot be rendered {label} {code}: {error}")),
                        Ok(text) => notice::check(channel, &text, takeover)
                            .err()
                            .map(|broken| format!("breaks a rule {label} {code}: {broken}")),
                    };
                    if let Some(problem) = problem {
                        return Some((channel, problem));
                    }
                }
            }
        }
        None
    }
}

/// Whether the operator supplied any file for `locale`.
fn has_user_files(origins: &HashMap<String, Origin>, locale: &str) -> bool {
    origins.iter().any(|(name, origin)| {
        matches!(origin, Origin::User(_))
            && name.split_once('/').is_some_and(|(tag, _)| tag == locale)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{APP_NAME_MAX, Brand};
    use crate::source::Source;
    use crate::templates::test_support::{TempDir, brand, en};

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
    fn takeover_notices_are_checked_like_messages() {
        for (file, source, expected) in [
            (
                "en/account_take_over.html",
                "<a href=\"{{ valid_link }}\">me</a>",
                "does not contain both one-click links",
            ),
            (
                "en/account_take_over.html",
                "{{ valid_link }} {{ invalid_link }} {{ code }}",
                "undefined",
            ),
            (
                "en/account_take_over.subject.txt",
                "Sign-in by {{ user_name }} at {{ login_time }}",
                "over the limit of 140",
            ),
            (
                "en/account_take_over.html",
                "{% if action == \"block\" %}{{ valid_link }} {{ invalid_link }}{% endif %}",
                "ACCOUNT_TAKE_OVER_ACTION no_action",
            ),
            (
                "en/account_take_over.sms.txt",
                "{{ valid_link }}",
                "is not a template name",
            ),
            (
                "de/account_take_over.html",
                "{{ valid_link }} {{ invalid_link }}",
                "has no companion de/account_take_over.subject.txt",
            ),
        ] {
            let dir = TempDir::new(&[(file, source)]);
            let reason = dir.fails_naming(file);
            assert!(reason.contains(expected), "{file} {source:?}: {reason}");
        }
        // An operator's own notice, in a new language, is used.
        let dir = TempDir::new(&[
            (
                "de/account_take_over.subject.txt",
                "Anmeldung bei {{ app_name }}",
            ),
            (
                "de/account_take_over.html",
                "<a href=\"{{ valid_link }}\">Ja</a> <a href=\"{{ invalid_link }}\">Nein</a> {{ city|default('') }}",
            ),
        ]);
        let catalog = dir.load().unwrap();
        let de = [crate::locale::Locale::parse("de-AT").unwrap()];
        assert_eq!(catalog.resolve(&de, Notice::AccountTakeOver), "de");
        assert_eq!(catalog.resolve(&de, Source::SignUp), "en");
    }

    #[test]
    fn built_in_notices_have_room_to_spare() {
        let catalog = Catalog::load(&brand(&"W".repeat(APP_NAME_MAX)), &en(), None).unwrap();
        for locale in ["en", "es", "pt"] {
            for action in TakeoverAction::ALL {
                let takeover = Takeover {
                    action,
                    user_name: "u",
                    ip_address: "203.0.113.7",
                    city: None,
                    country: None,
                    device_name: None,
                    login_time: "t",
                    valid_link: "https://example.com/v",
                    invalid_link: "https://example.com/x",
                };
                let subject = catalog
                    .render_takeover(locale, Channel::Subject, &takeover)
                    .unwrap();
                assert!(
                    limits::length(&subject) <= Channel::Subject.limit(),
                    "{locale} {action:?}: {} characters",
                    limits::length(&subject)
                );
            }
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
}
