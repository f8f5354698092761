//! `mint-dev-token`: prints a Cognito-shaped token signed by the committed
//! development key (`tests/fixtures/keys/dev-rsa-1.pem`, kid `dev-key-1`).
//!
//! A verifier accepts it only when pointed at that key, e.g. with
//! `JWKS_FILE=tests/fixtures/keys/dev-rsa-1.jwks.json`; no deployed pool
//! publishes it. The minting itself lives in `e2e_tests::tokens`, so this
//! file only reads arguments.

use std::process::ExitCode;

use cognito_auth_core::config::split_list;
use dev_tools::cli;
use e2e_tests::tokens::{Kind, TokenBuilder};

const USAGE: &str = "\
Usage: mint-dev-token [options]

Prints a token signed by tests/fixtures/keys/dev-rsa-1.pem (kid dev-key-1).

Options:
  --pool-id ID       user pool id, <region>_<id>   (default eu-west-1_DevPool1)
  --client-id ID     app client id                 (default devclient1)
  --token-use USE    access, id, or client: a machine client's
                     client-credentials access token (sub = client id,
                     no username or groups)          (default access)
  --username NAME    username claim                (default alice)
  --groups A,B       cognito:groups                (default none)
  --scopes A,B       scope, for access tokens      (default aws.cognito.signin.user.admin)
  --email ADDRESS    email, for id tokens          (default alice@example.com)
  --lifetime SECS    seconds until exp; negative for an expired token (default 3600)
  -h, --help         this text
";

/// The options that take a value.
const FLAGS: [&str; 8] = [
    "--pool-id",
    "--client-id",
    "--token-use",
    "--username",
    "--groups",
    "--scopes",
    "--email",
    "--lifetime",
];

#[derive(Debug)]
struct Options {
    pool_id: String,
    client_id: String,
    kind: Kind,
    client_credentials: bool,
    username: String,
    groups: Vec<String>,
    scopes: Option<Vec<String>>,
    email: Option<String>,
    lifetime: i64,
}

fn main() -> ExitCode {
    match cli::options("mint-dev-token", USAGE, parse) {
        Ok(options) => {
            println!("{}", mint(&options));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn mint(options: &Options) -> String {
    if options.client_credentials {
        let scopes: Vec<&str> = options
            .scopes
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        return TokenBuilder::client_credentials(&options.pool_id, &options.client_id, &scopes)
            .lifetime(options.lifetime)
            .build();
    }
    let groups: Vec<&str> = options.groups.iter().map(String::as_str).collect();
    let mut builder = TokenBuilder::new(options.kind, &options.pool_id, &options.client_id)
        .username(&options.username)
        .groups(&groups)
        .lifetime(options.lifetime);
    if let Some(scopes) = &options.scopes {
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        builder = builder.scopes(&scopes);
    }
    if let Some(email) = &options.email {
        builder = builder.claim("email", email.as_str());
    }
    builder.build()
}

/// The options, or `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        pool_id: "eu-west-1_DevPool1".to_owned(),
        client_id: "devclient1".to_owned(),
        kind: Kind::Access,
        client_credentials: false,
        username: "alice".to_owned(),
        groups: Vec::new(),
        scopes: None,
        email: None,
        lifetime: 3600,
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}"));
        }
        let value = cli::value(&mut args, &flag)?;
        match flag.as_str() {
            "--pool-id" => {
                if !value.contains('_') {
                    return Err(format!(
                        "--pool-id must look like eu-west-1_AbC123, got {value}"
                    ));
                }
                options.pool_id = value;
            }
            "--client-id" => options.client_id = value,
            "--token-use" => {
                (options.kind, options.client_credentials) = match value.as_str() {
                    "access" => (Kind::Access, false),
                    "id" => (Kind::Id, false),
                    "client" => (Kind::Access, true),
                    _ => {
                        return Err(format!(
                            "--token-use must be access, id or client, got {value}"
                        ));
                    }
                }
            }
            "--username" => options.username = value,
            "--groups" => options.groups = split_list(&value),
            "--scopes" => options.scopes = Some(split_list(&value)),
            "--email" => options.email = Some(value),
            "--lifetime" => {
                options.lifetime = value.parse().map_err(|_| {
                    format!("--lifetime must be a whole number of seconds, got {value}")
                })?
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(Some(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        let options = parse(cli::args([
            "--pool-id",
            "us-east-1_X",
            "--client-id",
            "c",
            "--token-use",
            "id",
            "--username",
            "bob",
            "--groups",
            "a, b",
            "--scopes",
            "s1,s2",
            "--email",
            "b@example.com",
            "--lifetime",
            "-5",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(options.pool_id, "us-east-1_X");
        assert_eq!(options.kind, Kind::Id);
        assert_eq!(options.groups, ["a", "b"]);
        assert_eq!(
            options.scopes.as_deref(),
            Some(&["s1".to_owned(), "s2".to_owned()][..])
        );
        assert_eq!(options.lifetime, -5);
        let token = mint(&options);
        assert_eq!(token.split('.').count(), 3);
    }

    #[test]
    fn refuses_bad_arguments() {
        assert!(parse(cli::args(["--token-use", "refresh"])).is_err());
        assert!(parse(cli::args(["--lifetime", "soon"])).is_err());
        assert!(parse(cli::args(["--pool-id"])).is_err());
        assert!(parse(cli::args(["--bogus", "x"])).is_err());
        assert!(parse(cli::args(["--help"])).unwrap().is_none());
    }
}
