//! Declarations and the reader: kinds, bounds, what counts as unset, and
//! what a process environment may and may not hold.

use super::*;

choices! {
    /// A test choice.
    enum Mode { A = "a", B = "b" }
}

declare! {
    /// text
    TEXT: Optional = Optional;
    /// needed
    NEEDED: Required = Required;
    /// list
    LIST: List = List;
    /// flag
    ON: Flag = Flag { default: true };
    /// flag
    OFF: Flag = Flag { default: false };
    /// ms
    MILLIS: Millis = Millis { default: 10, min: 1, max: 10_000 };
    /// s
    SECONDS: Seconds = Seconds { default: 1, min: 0, max: 10 };
    /// mode
    MODE: Choice<Mode> = Choice::exact(Mode::A);
    /// mode, any casing
    LOOSE: Choice<Mode> = Choice::any_case(Mode::A);
}

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

#[test]
fn blank_counts_as_unset() {
    let env = env(&[("TEXT", "  "), ("NEEDED", "")]);
    assert_eq!(env.get(&TEXT).unwrap(), None);
    assert_eq!(
        env.get(&NEEDED).unwrap_err().to_string(),
        "NEEDED: is required but not set"
    );
}

#[test]
fn lists_are_trimmed_and_drop_blanks() {
    let env = env(&[("LIST", " a, b ,,c ,")]);
    assert_eq!(env.get(&LIST).unwrap(), ["a", "b", "c"]);
    assert!(
        Env::from_pairs::<&str, &str>([])
            .get(&LIST)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn flags_accept_only_true_or_false() {
    assert!(env(&[("OFF", "TRUE")]).get(&OFF).unwrap());
    assert!(!env(&[("ON", "false")]).get(&ON).unwrap());
    assert!(env(&[]).get(&ON).unwrap());
    assert!(!env(&[]).get(&OFF).unwrap());
    let err = env(&[("ON", "yes")]).get(&ON).unwrap_err();
    assert_eq!(err.variable, "ON");
}

#[test]
fn durations_are_bounded_and_named() {
    let env = env(&[("MILLIS", "1500"), ("SECONDS", "-1")]);
    assert_eq!(env.get(&MILLIS).unwrap(), Duration::from_millis(1500));
    assert_eq!(
        Env::from_pairs::<&str, &str>([]).get(&MILLIS).unwrap(),
        Duration::from_millis(10)
    );
    assert_eq!(
        Env::from_pairs([("MILLIS", "999999")])
            .get(&MILLIS)
            .unwrap_err()
            .to_string(),
        "MILLIS: must be between 1 and 10000"
    );
    assert_eq!(
        env.get(&SECONDS).unwrap_err().to_string(),
        "SECONDS: must be a whole number"
    );
    assert_eq!(
        Env::from_pairs([("SECONDS", "0")]).get(&SECONDS).unwrap(),
        Duration::ZERO
    );
}

#[test]
fn a_default_that_depends_on_another_variable_applies_only_when_unset() {
    let fallback = Duration::from_millis(7);
    assert_eq!(env(&[]).get_or(&MILLIS, fallback).unwrap(), fallback);
    assert_eq!(
        env(&[("MILLIS", "20")]).get_or(&MILLIS, fallback).unwrap(),
        Duration::from_millis(20)
    );
    assert_eq!(
        env(&[("MILLIS", "0")])
            .get_or(&MILLIS, fallback)
            .unwrap_err()
            .to_string(),
        "MILLIS: must be between 1 and 10000"
    );
}

#[test]
fn choices_are_exact() {
    assert_eq!(env(&[]).get(&MODE).unwrap(), Mode::A);
    assert_eq!(env(&[("MODE", " b ")]).get(&MODE).unwrap(), Mode::B);
    assert_eq!(
        env(&[("MODE", "B")]).get(&MODE).unwrap_err().to_string(),
        "MODE: must be `a` or `b`"
    );
}

#[test]
fn choices_read_in_any_casing_only_where_declared_so() {
    assert_eq!(env(&[("LOOSE", "B")]).get(&LOOSE).unwrap(), Mode::B);
    assert_eq!(
        env(&[("LOOSE", "c")]).get(&LOOSE).unwrap_err().to_string(),
        "LOOSE: must be `a` or `b`"
    );
}

const DECLARED: Declarations = &[&[&TEXT, &NEEDED]];

#[test]
fn a_process_environment_reads_only_declared_variables() {
    let env = Env::from_os_pairs(DECLARED, [("TEXT", OsString::from("x"))]).unwrap();
    assert_eq!(env.get(&TEXT).unwrap().as_deref(), Some("x"));
    let err = env.get(&LIST).unwrap_err();
    assert_eq!(err.variable, "LIST");
    assert!(err.reason.contains("not declared"), "{err}");
}

#[test]
fn names_read_are_recorded_set_or_not() {
    let env = Env::declared_with_pairs(DECLARED, [("TEXT", "x")]);
    env.get(&TEXT).unwrap();
    assert!(env.get(&NEEDED).is_err());
    assert_eq!(env.names_read(), BTreeSet::from(["NEEDED", "TEXT"]));
    assert!(env.get(&LIST).unwrap_err().reason.contains("not declared"));
}

#[test]
fn a_declared_variable_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStringExt;
    let bad = OsString::from_vec(vec![b'a', 0xff, b'b']);
    let err = match Env::from_os_pairs(DECLARED, [("NEEDED", bad)]) {
        Ok(_) => panic!("a non-UTF-8 value was accepted"),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), "NEEDED: is not valid UTF-8");
}

#[test]
fn the_process_environment_is_read_for_the_declared_names() {
    // PATH is set in every test process; nothing declares HOME here.
    declare! {
        /// path
        PATH: Optional = Optional;
    }
    let env = Env::from_process(&[&[&PATH]]).unwrap();
    assert!(env.get(&PATH).unwrap().is_some());
    assert!(env.vars.keys().all(|name| name == "PATH"));
}

#[test]
fn default_text_states_the_declared_default() {
    assert_eq!(NEEDED.default_text(), "**required**");
    assert_eq!(TEXT.default_text(), "unset");
    assert_eq!(TEXT.unset("no link").default_text(), "unset (no link)");
    assert_eq!(ON.default_text(), "`true`");
    assert_eq!(SECONDS.default_text(), "`1` (0–10)");
    assert_eq!(MODE.default_text(), "`a`");
}

#[test]
fn the_meaning_is_the_rustdoc_joined_into_one_line() {
    declare! {
        /// First line,
        /// second line.
        TWO_LINES: Optional = Optional, example "`x`", defaulted "why";
    }
    assert_eq!(TWO_LINES.meaning(), "First line, second line.");
    assert_eq!(TWO_LINES.name(), "TWO_LINES");
    assert_eq!(Declared::example(&TWO_LINES), "`x`");
    assert_eq!(TWO_LINES.deployment(), Deployment::Default("why"));
}
