//! Declarations and the readers: kinds, bounds, what counts as unset, and
//! what a process environment may and may not hold.

use super::*;

const TEXT: Variable = Variable::new("T", Kind::Optional, "text");
const NEEDED: Variable = Variable::new("N", Kind::Required, "needed");
const LIST: Variable = Variable::new("L", Kind::List, "list");
const ON: Variable = Variable::new("ON", Kind::Flag { default: true }, "flag");
const OFF: Variable = Variable::new("OFF", Kind::Flag { default: false }, "flag");
const MILLIS: Variable = Variable::new(
    "MS",
    Kind::Whole {
        default: 10,
        min: 1,
        max: 10_000,
        unit: Unit::Millis,
    },
    "ms",
);
const SECONDS: Variable = Variable::new(
    "S",
    Kind::Whole {
        default: 1,
        min: 0,
        max: 10,
        unit: Unit::Seconds,
    },
    "s",
);
const MODE: Variable = Variable::new(
    "MODE",
    Kind::Choice {
        default: "a",
        values: &["a", "b"],
    },
    "mode",
);

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

#[test]
fn blank_counts_as_unset() {
    let env = env(&[("T", "  "), ("N", "")]);
    assert_eq!(env.optional(TEXT).unwrap(), None);
    assert_eq!(
        env.required(NEEDED).unwrap_err().to_string(),
        "N: is required but not set"
    );
}

#[test]
fn lists_are_trimmed_and_drop_blanks() {
    let env = env(&[("L", " a, b ,,c ,"), ("N", " , ")]);
    assert_eq!(env.list(LIST).unwrap(), ["a", "b", "c"]);
    assert!(
        Env::from_pairs::<&str, &str>([])
            .list(LIST)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        env.required_list(NEEDED).unwrap_err().to_string(),
        "N: lists nothing"
    );
}

#[test]
fn flags_accept_only_true_or_false() {
    assert!(env(&[("OFF", "TRUE")]).flag(OFF).unwrap());
    assert!(!env(&[("ON", "false")]).flag(ON).unwrap());
    assert!(env(&[]).flag(ON).unwrap());
    assert!(!env(&[]).flag(OFF).unwrap());
    let err = env(&[("ON", "yes")]).flag(ON).unwrap_err();
    assert_eq!(err.variable, "ON");
}

#[test]
fn durations_are_bounded_and_named() {
    let env = env(&[("MS", "1500"), ("S", "-1")]);
    assert_eq!(env.duration(MILLIS).unwrap(), Duration::from_millis(1500));
    assert_eq!(
        Env::from_pairs::<&str, &str>([]).duration(MILLIS).unwrap(),
        Duration::from_millis(10)
    );
    assert_eq!(
        Env::from_pairs([("MS", "999999")])
            .duration(MILLIS)
            .unwrap_err()
            .to_string(),
        "MS: must be between 1 and 10000"
    );
    assert_eq!(
        env.duration(SECONDS).unwrap_err().to_string(),
        "S: must be a whole number"
    );
    assert_eq!(
        Env::from_pairs([("S", "0")]).duration(SECONDS).unwrap(),
        Duration::ZERO
    );
}

#[test]
fn choices_are_exact() {
    assert_eq!(env(&[]).choice(MODE).unwrap(), "a");
    assert_eq!(env(&[("MODE", " b ")]).choice(MODE).unwrap(), "b");
    assert_eq!(
        env(&[("MODE", "B")]).choice(MODE).unwrap_err().to_string(),
        "MODE: must be `a` or `b`"
    );
}

#[test]
fn reading_a_variable_as_another_kind_is_an_error_not_a_panic() {
    let err = env(&[("T", "x")]).flag(TEXT).unwrap_err();
    assert_eq!(err.variable, "T");
    assert!(err.reason.contains("(a bug)"), "{err}");
}

const DECLARED: Declarations = &[&[TEXT, NEEDED]];

#[test]
fn a_process_environment_reads_only_declared_variables() {
    let env = Env::from_os_pairs(DECLARED, [("T", OsString::from("x"))]).unwrap();
    assert_eq!(env.optional(TEXT).unwrap().as_deref(), Some("x"));
    let err = env.list(LIST).unwrap_err();
    assert_eq!(err.variable, "L");
    assert!(err.reason.contains("not declared"), "{err}");
}

#[test]
fn names_read_are_recorded_set_or_not() {
    let env = Env::declared_with_pairs(DECLARED, [("T", "x")]);
    env.optional(TEXT).unwrap();
    assert!(env.required(NEEDED).is_err());
    assert_eq!(env.names_read(), BTreeSet::from(["N", "T"]));
    assert!(env.list(LIST).unwrap_err().reason.contains("not declared"));
}

#[test]
fn a_declared_variable_that_is_not_utf8_is_named() {
    use std::os::unix::ffi::OsStringExt;
    let bad = OsString::from_vec(vec![b'a', 0xff, b'b']);
    let err = match Env::from_os_pairs(DECLARED, [("N", bad)]) {
        Ok(_) => panic!("a non-UTF-8 value was accepted"),
        Err(err) => err,
    };
    assert_eq!(err.to_string(), "N: is not valid UTF-8");
}

#[test]
fn the_process_environment_is_read_for_the_declared_names() {
    // PATH is set in every test process; nothing declares HOME here.
    const PATH: Variable = Variable::new("PATH", Kind::Optional, "path");
    let env = Env::from_process(&[&[PATH]]).unwrap();
    assert!(env.optional(PATH).unwrap().is_some());
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
