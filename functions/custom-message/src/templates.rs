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
//! templates/<locale>/<notice>.subject.txt         one per notice (account_take_over): email only
//! templates/<locale>/<notice>.html
//! templates/<locale>/_<partial>.html|.txt         optional, for {% include %}
//! ```
//!
//! The same layout serves the built-in templates (embedded by `build.rs`) and
//! `TEMPLATES_DIR`. A file in `TEMPLATES_DIR` replaces the built-in file of
//! the same name, so an operator can restyle `en/layout.html` alone, or add a
//! language with a new folder. A locale that is not built in must supply all
//! three files of each source it supplies (the two of each notice), so one
//! message never mixes languages. A name without `/` in `{% extends %}` or `{% include %}` is
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
//! A notice's templates see other variables: [`crate::notice`] lists them.
//!
//! # Checks
//!
//! Every template a message can be built from is rendered at init and must
//! obey [`crate::limits`]; the `check` module says how.
//!
//! # Modules
//!
//! The three concerns change for different reasons, so each has its file:
//! - `catalog`: [`Catalog`] compiles the templates, resolves a locale and
//!   renders (the run-time path);
//! - `check`: the init checks every template must pass;
//! - `dir`: reading `TEMPLATES_DIR` from disk, refusing what is not a
//!   template.
//!
//! This file holds what all three share: the built-in files, the names
//! of templates and the errors that name a file.

use std::path::{Path, PathBuf};

use cognito_auth_core::config::ConfigError;

use crate::config;
use crate::limits::Channel;
use crate::notice::Notice;
use crate::source::Source;

mod catalog;
mod check;
mod dir;
#[cfg(test)]
mod test_support;

pub use catalog::{Catalog, Vars};

include!(concat!(env!("OUT_DIR"), "/built_in.rs"));

/// The locale that is always complete: every built-in source ships in it,
/// so it ends every fallback chain.
pub const LAST_RESORT: &str = "en";

/// The name of the shared HTML shell in each locale folder.
const LAYOUT: &str = "layout.html";

/// Where a template came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    BuiltIn,
    User(PathBuf),
}

/// What a set of template files is for: the message of a
/// `CustomMessage_*` source (which the custom senders send too), or a
/// notice that only a custom sender sends. Kept apart so that
/// CustomMessage's own [`Source`] set stays what Cognito sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A message with a code: subject, HTML body and SMS.
    Message(Source),
    /// A notice: the channels [`Notice::channels`] lists.
    Notice(Notice),
}

impl Kind {
    /// Every kind, in a fixed order.
    pub fn all() -> impl Iterator<Item = Kind> {
        Source::ALL
            .into_iter()
            .map(Kind::Message)
            .chain(Notice::ALL.into_iter().map(Kind::Notice))
    }

    /// The stem of its template files.
    pub fn stem(self) -> &'static str {
        match self {
            Kind::Message(source) => source.stem(),
            Kind::Notice(notice) => notice.stem(),
        }
    }

    /// The kind whose template files have this stem.
    pub fn from_stem(stem: &str) -> Option<Kind> {
        Kind::all().find(|kind| kind.stem() == stem)
    }

    /// The texts (one template file each) it has.
    pub fn channels(self) -> &'static [Channel] {
        match self {
            Kind::Message(_) => &Channel::ALL,
            Kind::Notice(notice) => notice.channels(),
        }
    }
}

impl From<Source> for Kind {
    fn from(source: Source) -> Kind {
        Kind::Message(source)
    }
}

impl From<Notice> for Kind {
    fn from(notice: Notice) -> Kind {
        Kind::Notice(notice)
    }
}

/// `<locale>/<stem>.<suffix>`.
fn template_name(locale: &str, kind: Kind, channel: Channel) -> String {
    format!("{locale}/{}.{}", kind.stem(), channel.file_suffix())
}

/// The error for a template that fails, naming its file.
fn blame(origin: &Origin, name: &str, problem: &str) -> ConfigError {
    match origin {
        Origin::User(path) => user_error(path, problem),
        // Only reachable with a brand the config checks should have refused;
        // the built-ins are checked with the longest brand in a unit test.
        Origin::BuiltIn => ConfigError::new(
            config::APP_NAME,
            format!("built-in template {name} {problem}"),
        ),
    }
}

fn user_error(path: &Path, problem: &str) -> ConfigError {
    ConfigError::new(
        config::TEMPLATES_DIR,
        format!("{}: {problem}", path.display()),
    )
}
