//! Legacy password hashes: reading them, pricing them, verifying them.
//!
//! A hash is read from its text ([`StoredHash::parse`]) before anything is
//! computed, so that an algorithm this function does not verify, or a cost
//! that cannot finish inside Cognito's 5 s, is refused by what the text
//! says, never by running it: a record with `m=4194304` must not allocate
//! 4 GiB to find out.
//!
//! | kind | text | crate |
//! |---|---|---|
//! | argon2 (`argon2id`, `argon2i`, `argon2d`) | PHC: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` | RustCrypto `argon2` |
//! | scrypt | PHC: `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (passlib's form too) | RustCrypto `scrypt` |
//! | PBKDF2-HMAC-SHA256 | PHC: `$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>` | RustCrypto `pbkdf2` |
//! | bcrypt | Modular Crypt: `$2b$12$<22 salt><31 hash>` (`2a`, `2x`, `2y` too) | `bcrypt` |
//!
//! Everything else is [`ParseError::Unsupported`], named by its algorithm
//! identifier (the text between the first two `$`, when it looks like one)
//! and never by the hash. Nothing in this module logs or formats a hash or a
//! password: the errors carry only identifiers, parameter names and fixed
//! reasons.

use argon2::Argon2;
use password_hash::phc::PasswordHash;
use password_hash::{CustomizedPasswordHasher, PasswordHasher, PasswordVerifier};

/// A kind of hash this function verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Argon2 (id, i or d), RFC 9106.
    Argon2,
    /// bcrypt, `$2a$`/`$2b$`/`$2x$`/`$2y$`.
    Bcrypt,
    /// scrypt, RFC 7914.
    Scrypt,
    /// PBKDF2 with HMAC-SHA256, RFC 8018.
    Pbkdf2Sha256,
}

impl Kind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Kind; 4] = [Kind::Argon2, Kind::Bcrypt, Kind::Scrypt, Kind::Pbkdf2Sha256];

    /// A stable word for logs, metrics and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Argon2 => "argon2",
            Kind::Bcrypt => "bcrypt",
            Kind::Scrypt => "scrypt",
            Kind::Pbkdf2Sha256 => "pbkdf2-sha256",
        }
    }

    /// Nanoseconds of one [`Cost::work`] unit on one core: measured by
    /// `cargo bench -p user-migration --bench hashes` (release profile, as
    /// deployed, x86_64), the largest per-unit figure of its cases, rounded
    /// up; the figures are in docs/migration.md. They were taken on a busy
    /// shared machine, so they overstate the time rather than understate
    /// it. The estimate of a verification is `work × this`, divided by the
    /// share of a vCPU the function's memory size buys ([`cpu_share`]).
    pub fn nanos_per_unit(self) -> f64 {
        match self {
            // Per KiB of memory per pass (1,205-1,538 measured).
            Kind::Argon2 => 1_550.0,
            // Per expansion round, 2^cost (63,261-68,865 measured).
            Kind::Bcrypt => 69_000.0,
            // Per N × r × p (357-463 measured).
            Kind::Scrypt => 470.0,
            // Per iteration of one 32-byte block (201-205 measured).
            Kind::Pbkdf2Sha256 => 210.0,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lambda gives a function one vCPU's worth of CPU at 1,769 MB and a share
/// in proportion below that (AWS Lambda Developer Guide, "Configuring
/// Lambda function memory"). A verification runs on one thread, so more
/// memory than that buys it nothing.
pub const ONE_VCPU_MB: u64 = 1_769;

/// The share of one vCPU that `memory_mb` buys, at most 1.
pub fn cpu_share(memory_mb: u64) -> f64 {
    memory_mb.min(ONE_VCPU_MB) as f64 / ONE_VCPU_MB as f64
}

/// What verifying one hash costs: computed from its parameters alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// The kind.
    pub kind: Kind,
    /// Units of work (see [`Kind::nanos_per_unit`]).
    pub work: u64,
    /// Bytes the computation allocates.
    pub memory_bytes: u64,
}

impl Cost {
    /// Estimated milliseconds on a function of `memory_mb`.
    pub fn estimated_ms(&self, memory_mb: u64) -> f64 {
        self.work as f64 * self.kind.nanos_per_unit() / 1e6 / cpu_share(memory_mb)
    }
}

/// Memory a function needs besides the hash: the runtime, the SDK client,
/// the event and the answer. The bootstrap's resident size is about 20 MB;
/// the rest is margin.
pub const RESERVED_MEMORY_MB: u64 = 48;

/// Why a cost does not fit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TooCostly {
    /// The estimate exceeds the budget.
    #[error(
        "{kind} with {params} takes about {estimated_ms:.0} ms at {memory_mb} MB (budget {budget_ms} ms)"
    )]
    Slow {
        /// The kind.
        kind: Kind,
        /// Its parameters, as `name=value` pairs (no salt, no hash).
        params: String,
        /// The estimate.
        estimated_ms: f64,
        /// The function's memory size.
        memory_mb: u64,
        /// `MAX_HASH_MS`.
        budget_ms: u64,
    },
    /// The computation needs more memory than the function has.
    #[error(
        "{kind} with {params} needs {needed_mb} MiB, more than the {available_mb} MiB a {memory_mb} MB function has for it"
    )]
    TooBig {
        /// The kind.
        kind: Kind,
        /// Its parameters.
        params: String,
        /// What it allocates.
        needed_mb: u64,
        /// What is left after [`RESERVED_MEMORY_MB`].
        available_mb: u64,
        /// The function's memory size.
        memory_mb: u64,
    },
}

/// Checks that a hash of `params` can be verified within `budget_ms` on a function of
/// `memory_mb`, by its parameters alone.
pub fn check_cost(params: CostParams, memory_mb: u64, budget_ms: u64) -> Result<Cost, TooCostly> {
    let cost = params.cost();
    let needed_mb = cost.memory_bytes.div_ceil(1 << 20);
    let available_mb = memory_mb.saturating_sub(RESERVED_MEMORY_MB);
    if needed_mb > available_mb {
        return Err(TooCostly::TooBig {
            kind: cost.kind,
            params: params.to_string(),
            needed_mb,
            available_mb,
            memory_mb,
        });
    }
    let estimated_ms = cost.estimated_ms(memory_mb);
    if estimated_ms > budget_ms as f64 {
        return Err(TooCostly::Slow {
            kind: cost.kind,
            params: params.to_string(),
            estimated_ms,
            memory_mb,
            budget_ms,
        });
    }
    Ok(cost)
}

/// A stored hash this function cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// An algorithm this function does not verify (or text that names
    /// none). `algorithm` is the identifier between the first two `$` when
    /// it is 1–32 of `a-z 0-9 -`, else a description of the shape.
    #[error("unsupported password hash algorithm `{algorithm}`")]
    Unsupported {
        /// The identifier, or the shape.
        algorithm: String,
    },
    /// A supported algorithm, but the text does not parse.
    #[error("corrupt {kind} hash: {reason}")]
    Corrupt {
        /// The kind the text claims.
        kind: Kind,
        /// What is wrong, in fixed words.
        reason: &'static str,
    },
}

/// A verification that could not run (as opposed to a wrong password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} verification failed to run: {reason}")]
pub struct VerifyError {
    /// The kind.
    pub kind: Kind,
    /// The crate's reason, in its fixed words.
    pub reason: String,
}

/// A parsed legacy hash, ready to verify.
#[derive(Debug, Clone)]
pub enum StoredHash {
    /// A PHC string of argon2, scrypt or PBKDF2-SHA256.
    Phc {
        /// The kind.
        kind: Kind,
        /// The parsed string.
        hash: Box<PasswordHash>,
        /// The parameters that price it.
        params: CostParams,
    },
    /// A bcrypt hash (60 characters).
    Bcrypt {
        /// Its cost (log2 of the rounds).
        cost: u32,
        /// The text, as the `bcrypt` crate reads it.
        text: String,
    },
}

/// The parameters of a hash that decide its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostParams {
    /// bcrypt: log2 of the rounds.
    Bcrypt {
        /// The cost.
        cost: u32,
    },
    /// Argon2: memory in KiB, passes, lanes.
    Argon2 {
        /// `m`.
        m_kib: u32,
        /// `t`.
        t: u32,
        /// `p`.
        p: u32,
    },
    /// scrypt: log2 N, r, p.
    Scrypt {
        /// `ln`.
        ln: u8,
        /// `r`.
        r: u32,
        /// `p`.
        p: u32,
    },
    /// PBKDF2: iterations and output length.
    Pbkdf2 {
        /// `i`.
        iterations: u32,
        /// `l` (32 when absent).
        len: u32,
    },
}

impl CostParams {
    /// The kind these parameters are for.
    pub fn kind(self) -> Kind {
        match self {
            CostParams::Bcrypt { .. } => Kind::Bcrypt,
            CostParams::Argon2 { .. } => Kind::Argon2,
            CostParams::Scrypt { .. } => Kind::Scrypt,
            CostParams::Pbkdf2 { .. } => Kind::Pbkdf2Sha256,
        }
    }

    /// What verifying a hash of these parameters costs.
    pub fn cost(self) -> Cost {
        let (work, memory_bytes) = match self {
            CostParams::Bcrypt { cost } => (1u64 << cost.min(63), 4_168),
            CostParams::Argon2 { m_kib, t, .. } => {
                (u64::from(m_kib) * u64::from(t), u64::from(m_kib) * 1024)
            }
            CostParams::Scrypt { ln, r, p } => {
                let n = 1u64 << ln.min(63);
                (
                    n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p)),
                    n.saturating_mul(128).saturating_mul(u64::from(r)),
                )
            }
            CostParams::Pbkdf2 { iterations, len } => {
                (u64::from(iterations) * u64::from(len.div_ceil(32)), 1_024)
            }
        };
        Cost {
            kind: self.kind(),
            work,
            memory_bytes,
        }
    }
}

impl std::fmt::Display for CostParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CostParams::Bcrypt { cost } => write!(f, "cost={cost}"),
            CostParams::Argon2 { m_kib, t, p } => write!(f, "m={m_kib},t={t},p={p}"),
            CostParams::Scrypt { ln, r, p } => write!(f, "ln={ln},r={r},p={p}"),
            CostParams::Pbkdf2 { iterations, len } => write!(f, "i={iterations},l={len}"),
        }
    }
}

/// The identifier a log line may name: 1–32 of `a-z 0-9 -`, else a shape.
fn loggable_algorithm(text: &str) -> String {
    let Some(rest) = text.strip_prefix('$') else {
        return "(no `$` prefix: not a PHC or crypt string)".to_owned();
    };
    let id = rest.split('$').next().unwrap_or_default();
    if (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        id.to_owned()
    } else {
        "(an identifier that is not 1-32 of a-z, 0-9, `-`)".to_owned()
    }
}

impl StoredHash {
    /// Reads `text` as one of the supported kinds.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let text = text.trim();
        let algorithm = loggable_algorithm(text);
        match algorithm.as_str() {
            "2a" | "2b" | "2x" | "2y" => Self::parse_bcrypt(text),
            "argon2id" | "argon2i" | "argon2d" => Self::parse_phc(text, Kind::Argon2),
            "scrypt" => Self::parse_phc(text, Kind::Scrypt),
            "pbkdf2-sha256" => Self::parse_phc(text, Kind::Pbkdf2Sha256),
            _ => Err(ParseError::Unsupported { algorithm }),
        }
    }

    fn parse_bcrypt(text: &str) -> Result<Self, ParseError> {
        let corrupt = |reason| ParseError::Corrupt {
            kind: Kind::Bcrypt,
            reason,
        };
        // The shape the `bcrypt` crate verifies: 60 ASCII characters,
        // `$2?$NN$` and 53 of its base64. Checked here so that the cost is
        // known before any work, and so that a corrupt hash is told apart
        // from a wrong password.
        if text.len() != 60 || !text.is_ascii() {
            return Err(corrupt("not 60 ASCII characters"));
        }
        if text.as_bytes()[6] != b'$' {
            return Err(corrupt("no `$` after the cost"));
        }
        let cost: u32 = text[4..6]
            .parse()
            .map_err(|_| corrupt("the cost is not two digits"))?;
        if !(4..=31).contains(&cost) {
            return Err(corrupt("the cost is outside 4-31"));
        }
        let valid_b64 = text[7..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
        if !valid_b64 {
            return Err(corrupt("the salt and hash are not bcrypt base64"));
        }
        Ok(StoredHash::Bcrypt {
            cost,
            text: text.to_owned(),
        })
    }

    fn parse_phc(text: &str, kind: Kind) -> Result<Self, ParseError> {
        let corrupt = |reason| ParseError::Corrupt { kind, reason };
        let hash = PasswordHash::new(text).map_err(|_| corrupt("not a valid PHC string"))?;
        if hash.salt.is_none() || hash.hash.is_none() {
            return Err(corrupt("the salt or the hash is missing"));
        }
        let decimal = |name: &'static str| {
            hash.params.get_decimal(name).ok_or(ParseError::Corrupt {
                kind,
                reason: "a required parameter is missing or not a number",
            })
        };
        let params = match kind {
            Kind::Argon2 => {
                let (m_kib, t, p) = (decimal("m")?, decimal("t")?, decimal("p")?);
                if m_kib == 0 || t == 0 || p == 0 || m_kib < 8 * p {
                    return Err(corrupt("m, t and p must be positive, m at least 8p"));
                }
                CostParams::Argon2 { m_kib, t, p }
            }
            Kind::Scrypt => {
                let ln = u8::try_from(decimal("ln")?)
                    .ok()
                    .filter(|ln| (1..64).contains(ln))
                    .ok_or(corrupt("ln is outside 1-63"))?;
                let (r, p) = (decimal("r")?, decimal("p")?);
                if r == 0 || p == 0 {
                    return Err(corrupt("r and p must be positive"));
                }
                CostParams::Scrypt { ln, r, p }
            }
            Kind::Pbkdf2Sha256 => {
                let iterations = decimal("i")?;
                let len = hash.params.get_decimal("l").unwrap_or(32);
                if iterations == 0 || len == 0 {
                    return Err(corrupt("i and l must be positive"));
                }
                CostParams::Pbkdf2 { iterations, len }
            }
            Kind::Bcrypt => return Err(corrupt("bcrypt has no PHC form here")),
        };
        Ok(StoredHash::Phc {
            kind,
            hash: Box::new(hash),
            params,
        })
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            StoredHash::Phc { kind, .. } => *kind,
            StoredHash::Bcrypt { .. } => Kind::Bcrypt,
        }
    }

    /// The parameters that decide the cost.
    pub fn cost_params(&self) -> CostParams {
        match self {
            StoredHash::Bcrypt { cost, .. } => CostParams::Bcrypt { cost: *cost },
            StoredHash::Phc { params, .. } => *params,
        }
    }

    /// The cost parameters as `name=value` pairs, for logs: never the salt
    /// or the hash.
    pub fn params(&self) -> String {
        self.cost_params().to_string()
    }

    /// What verifying it costs, from its parameters.
    pub fn cost(&self) -> Cost {
        self.cost_params().cost()
    }

    /// Whether `password` matches. `Ok(false)` is a wrong password; an
    /// error is a hash the crate refused to run (parameters it rejects).
    /// Call [`check_cost`] first: this runs whatever the parameters say.
    pub fn verify(&self, password: &[u8]) -> Result<bool, VerifyError> {
        let kind = self.kind();
        let failed = |reason: String| VerifyError { kind, reason };
        match self {
            StoredHash::Bcrypt { text, .. } => {
                bcrypt::verify(password, text).map_err(|error| failed(error.to_string()))
            }
            StoredHash::Phc { hash, .. } => {
                let result = match kind {
                    Kind::Argon2 => Argon2::default().verify_password(password, hash.as_ref()),
                    Kind::Scrypt => scrypt::Scrypt::new().verify_password(password, hash.as_ref()),
                    Kind::Pbkdf2Sha256 => {
                        pbkdf2::Pbkdf2::SHA256.verify_password(password, hash.as_ref())
                    }
                    Kind::Bcrypt => return Err(failed("bcrypt has no PHC form".to_owned())),
                };
                match result {
                    Ok(()) => Ok(true),
                    Err(password_hash::Error::PasswordInvalid) => Ok(false),
                    Err(error) => Err(failed(error.to_string())),
                }
            }
        }
    }
}

/// The parameters a dummy hash is made with: `LEGACY_HASH_DEFAULT`, such as
/// `argon2id:m=19456,t=2,p=1`, `bcrypt:cost=12`, `scrypt:ln=15,r=8,p=1` or
/// `pbkdf2-sha256:i=600000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DummySpec {
    /// Argon2id with these parameters.
    Argon2id {
        /// `m` in KiB.
        m_kib: u32,
        /// `t`.
        t: u32,
        /// `p`.
        p: u32,
    },
    /// bcrypt at this cost.
    Bcrypt {
        /// log2 of the rounds.
        cost: u32,
    },
    /// scrypt.
    Scrypt {
        /// log2 N.
        ln: u8,
        /// r.
        r: u32,
        /// p.
        p: u32,
    },
    /// PBKDF2-SHA256 with a 32-byte output.
    Pbkdf2Sha256 {
        /// Iterations.
        iterations: u32,
    },
}

/// The fixed input of the dummy hash. Its value does not matter: the
/// result of verifying against the dummy is always ignored.
const DUMMY_PASSWORD: &[u8] = b"user-migration dummy password";
const DUMMY_SALT: &[u8] = b"user-migration-dummy-salt";

impl DummySpec {
    /// Reads `kind:name=value,...`. The reason is for a `ConfigError`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, params) = text
            .split_once(':')
            .ok_or("must be `<kind>:<name>=<value>,...`, such as `argon2id:m=19456,t=2,p=1`")?;
        let mut pairs = std::collections::BTreeMap::new();
        for pair in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not `<name>=<value>`"))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| format!("`{}` must be a whole number", name.trim()))?;
            pairs.insert(name.trim(), value);
        }
        let take = |pairs: &mut std::collections::BTreeMap<&str, u32>, name: &str| {
            pairs
                .remove(name)
                .ok_or_else(|| format!("`{kind}` needs `{name}`"))
        };
        let spec = match kind.trim() {
            "argon2id" => DummySpec::Argon2id {
                m_kib: take(&mut pairs, "m")?,
                t: take(&mut pairs, "t")?,
                p: take(&mut pairs, "p")?,
            },
            "bcrypt" => DummySpec::Bcrypt {
                cost: take(&mut pairs, "cost")?,
            },
            "scrypt" => DummySpec::Scrypt {
                ln: u8::try_from(take(&mut pairs, "ln")?).map_err(|_| "`ln` is too large")?,
                r: take(&mut pairs, "r")?,
                p: take(&mut pairs, "p")?,
            },
            "pbkdf2-sha256" => DummySpec::Pbkdf2Sha256 {
                iterations: take(&mut pairs, "i")?,
            },
            other => {
                return Err(format!(
                    "kind `{other}` is not argon2id, bcrypt, scrypt or pbkdf2-sha256"
                ));
            }
        };
        if let Some(name) = pairs.keys().next() {
            return Err(format!("`{name}` is not a parameter of `{}`", kind.trim()));
        }
        Ok(spec)
    }

    /// The parameters that decide its cost: known before it is made.
    pub fn cost_params(self) -> CostParams {
        match self {
            DummySpec::Argon2id { m_kib, t, p } => CostParams::Argon2 { m_kib, t, p },
            DummySpec::Bcrypt { cost } => CostParams::Bcrypt { cost },
            DummySpec::Scrypt { ln, r, p } => CostParams::Scrypt { ln, r, p },
            DummySpec::Pbkdf2Sha256 { iterations } => CostParams::Pbkdf2 {
                iterations,
                len: 32,
            },
        }
    }

    /// Makes the dummy hash with the crates that verify the real ones, so
    /// that verifying against it costs what verifying a real hash of these
    /// parameters does. Done once, at init.
    pub fn make(self) -> Result<StoredHash, String> {
        let text = self.hash(DUMMY_PASSWORD, DUMMY_SALT)?;
        StoredHash::parse(&text).map_err(|error| format!("the dummy hash does not parse: {error}"))
    }

    /// The text of a hash of `password` with these parameters and `salt`
    /// (at least 16 bytes; bcrypt takes the first 16), in the form this
    /// module reads: what the tests and the benchmark make their legacy
    /// records with.
    pub fn hash(self, password: &[u8], salt: &[u8]) -> Result<String, String> {
        let phc = |result: password_hash::Result<PasswordHash>| {
            result
                .map(|hash| hash.to_string())
                .map_err(|error| format!("cannot make a hash with these parameters: {error}"))
        };
        let text = match self {
            DummySpec::Argon2id { m_kib, t, p } => {
                let params = argon2::Params::new(m_kib, t, p, None)
                    .map_err(|error| format!("invalid argon2 parameters: {error}"))?;
                phc(
                    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                        .hash_password_with_salt(password, salt),
                )?
            }
            DummySpec::Bcrypt { cost } => {
                let salt: [u8; 16] = salt
                    .get(..16)
                    .and_then(|head| head.try_into().ok())
                    .ok_or("a bcrypt salt is 16 bytes")?;
                bcrypt::hash_with_salt(password, cost, salt)
                    .map_err(|error| format!("invalid bcrypt cost: {error}"))?
                    .format_for_version(bcrypt::Version::TwoB)
            }
            DummySpec::Scrypt { ln, r, p } => {
                let params = scrypt::Params::new(ln, r, p)
                    .map_err(|error| format!("invalid scrypt parameters: {error}"))?;
                phc(scrypt::Scrypt::new_with_params(params)
                    .hash_password_customized(password, salt, None, None, params))?
            }
            DummySpec::Pbkdf2Sha256 { iterations } => {
                let params = pbkdf2::Params::new(iterations)
                    .map_err(|error| format!("invalid pbkdf2 parameters: {error}"))?;
                phc(pbkdf2::Pbkdf2::SHA256
                    .hash_password_customized(password, salt, None, None, params))?
            }
        };
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &[u8] = b"hunter2-but-longer";

    fn make(spec: &str) -> StoredHash {
        DummySpec::parse(spec).unwrap().make().unwrap()
    }

    /// A real hash of `PASSWORD` for each kind, made with the same crates
    /// (with another salt than the dummy's).
    fn real(kind: Kind) -> String {
        let salt = b"a-real-salt-16b!";
        match kind {
            Kind::Argon2 => Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                argon2::Params::new(1024, 1, 1, None).unwrap(),
            )
            .hash_password_with_salt(PASSWORD, salt)
            .unwrap()
            .to_string(),
            Kind::Bcrypt => bcrypt::hash_with_salt(PASSWORD, 4, *salt)
                .unwrap()
                .format_for_version(bcrypt::Version::TwoB),
            Kind::Scrypt => {
                let params = scrypt::Params::new(10, 8, 1).unwrap();
                scrypt::Scrypt::new_with_params(params)
                    .hash_password_with_salt(PASSWORD, salt)
                    .unwrap()
                    .to_string()
            }
            Kind::Pbkdf2Sha256 => pbkdf2::Pbkdf2::SHA256
                .hash_password_customized(
                    PASSWORD,
                    salt,
                    None,
                    None,
                    pbkdf2::Params::new(1000).unwrap(),
                )
                .unwrap()
                .to_string(),
        }
    }

    #[test]
    fn each_kind_verifies_the_right_password_only() {
        for kind in Kind::ALL {
            let text = real(kind);
            let hash = StoredHash::parse(&text).unwrap();
            assert_eq!(hash.kind(), kind);
            assert_eq!(hash.verify(PASSWORD), Ok(true), "{kind}");
            assert_eq!(hash.verify(b"wrong"), Ok(false), "{kind}");
        }
    }

    #[test]
    fn bcrypt_reads_every_prefix() {
        let text = real(Kind::Bcrypt);
        for prefix in ["$2a$", "$2x$", "$2y$"] {
            let other = format!("{prefix}{}", &text[4..]);
            assert_eq!(
                StoredHash::parse(&other).unwrap().verify(PASSWORD),
                Ok(true)
            );
        }
    }

    #[test]
    fn unsupported_algorithms_are_named_and_never_quoted() {
        for (text, algorithm) in [
            ("$1$saltsalt$abcdefghijklmnopqrstuv", "1"),
            ("$6$rounds=5000$salt$hash", "6"),
            ("$pbkdf2-sha512$i=1000$c2FsdA$aGFzaA", "pbkdf2-sha512"),
            ("$md5$x", "md5"),
        ] {
            assert_eq!(
                StoredHash::parse(text).unwrap_err(),
                ParseError::Unsupported {
                    algorithm: algorithm.to_owned()
                }
            );
        }
        let plain = StoredHash::parse("5f4dcc3b5aa765d61d8327deb882cf99").unwrap_err();
        assert!(!plain.to_string().contains("5f4dcc3b"), "{plain}");
        let odd = StoredHash::parse("$SECRET VALUE$x").unwrap_err();
        assert!(!odd.to_string().contains("SECRET"), "{odd}");
    }

    #[test]
    fn corrupt_hashes_are_told_apart_from_wrong_passwords() {
        let argon = real(Kind::Argon2);
        for text in [
            argon.replace("m=1024", "m=abc"),
            argon[..argon.rfind('$').unwrap()].to_owned(),
            "$2b$12$short".to_owned(),
            format!("$2b$99${}", &real(Kind::Bcrypt)[7..]),
            "$scrypt$ln=99,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".to_owned(),
        ] {
            let error = StoredHash::parse(&text).unwrap_err();
            assert!(
                matches!(error, ParseError::Corrupt { .. }),
                "{text}: {error:?}"
            );
        }
    }

    #[test]
    fn costs_come_from_the_parameters() {
        let hash = make("argon2id:m=19456,t=2,p=1");
        assert_eq!(hash.params(), "m=19456,t=2,p=1");
        let cost = hash.cost();
        assert_eq!(cost.work, 38_912);
        assert_eq!(cost.memory_bytes, 19_456 * 1024);
        // An scrypt hash of N=2^17, r=8 needs 128 MiB.
        let scrypt =
            StoredHash::parse("$scrypt$ln=17,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2doYXNoaGFzaA").unwrap();
        assert_eq!(scrypt.cost().memory_bytes, 128 << 20);
        assert!(matches!(
            check_cost(scrypt.cost_params(), 128, 4_000),
            Err(TooCostly::TooBig { needed_mb: 128, .. })
        ));
    }

    #[test]
    fn the_budget_scales_with_the_cpu_share() {
        let hash = make("pbkdf2-sha256:i=1000");
        let at_128 = hash.cost().estimated_ms(128);
        let at_1769 = hash.cost().estimated_ms(1769);
        assert!((at_128 / at_1769 - 1769.0 / 128.0).abs() < 1e-9);
        assert_eq!(hash.cost().estimated_ms(3538), at_1769);
    }

    #[test]
    fn a_huge_argon2_memory_is_refused_before_any_allocation() {
        let text = real(Kind::Argon2).replace("m=1024", "m=4194304");
        let hash = StoredHash::parse(&text).unwrap();
        assert!(matches!(
            check_cost(hash.cost_params(), 1024, 2_000),
            Err(TooCostly::TooBig { .. })
        ));
    }

    #[test]
    fn hash_makes_what_parse_reads_and_verify_accepts() {
        for spec in [
            "argon2id:m=64,t=1,p=1",
            "bcrypt:cost=4",
            "scrypt:ln=4,r=8,p=1",
            "pbkdf2-sha256:i=1000",
        ] {
            let text = DummySpec::parse(spec)
                .unwrap()
                .hash(PASSWORD, b"sixteen-byte-salt")
                .unwrap();
            let hash = StoredHash::parse(&text).unwrap();
            assert_eq!(hash.verify(PASSWORD), Ok(true), "{spec}");
            assert_eq!(hash.verify(b"other"), Ok(false), "{spec}");
        }
    }

    #[test]
    fn dummy_specs_are_checked() {
        for bad in [
            "argon2id",
            "argon2id:m=1,t=1",
            "md5:i=1",
            "bcrypt:cost=12,extra=1",
            "bcrypt:cost=x",
        ] {
            assert!(DummySpec::parse(bad).is_err(), "{bad}");
        }
        for kind in [
            "argon2id:m=64,t=1,p=1",
            "bcrypt:cost=4",
            "scrypt:ln=4,r=8,p=1",
            "pbkdf2-sha256:i=1000",
        ] {
            let hash = make(kind);
            assert_eq!(hash.verify(DUMMY_PASSWORD), Ok(true), "{kind}");
        }
        assert!(DummySpec::parse("bcrypt:cost=40").unwrap().make().is_err());
    }
}
