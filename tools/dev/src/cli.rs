//! The command line of every tool here: `--help` prints the usage, a bad
//! argument prints why and the usage and exits 2, and an option's value is
//! the next argument.

use std::process::ExitCode;

/// The options `parse` makes of the command line, or the exit code when
/// there is nothing to run: `--help` (`parse` says `None`; the usage is
/// printed, success) or a bad argument (the message and the usage on
/// stderr, 2).
pub fn options<T>(
    tool: &str,
    usage: &str,
    parse: impl FnOnce(std::iter::Skip<std::env::Args>) -> Result<Option<T>, String>,
) -> Result<T, ExitCode> {
    match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            print!("{usage}");
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{tool}: {message}\n\n{usage}");
            Err(ExitCode::from(2))
        }
    }
}

/// The value of `flag`: the next argument.
pub fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String, String> {
    args.next().ok_or_else(|| format!("{flag} needs a value"))
}

/// `list` as the arguments a `parse` takes, for tests.
pub fn args<const N: usize>(list: [&str; N]) -> impl Iterator<Item = String> {
    list.map(str::to_owned).into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_takes_the_next_argument() {
        let mut list = args(["--a", "1"]);
        assert_eq!(list.next().as_deref(), Some("--a"));
        assert_eq!(value(&mut list, "--a").as_deref(), Ok("1"));
        assert_eq!(value(&mut list, "--a"), Err("--a needs a value".to_owned()));
    }
}
