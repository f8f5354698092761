//! The pieces every function in this project shares: Cognito user-pool JWT
//! verification backed by a JWKS cache that suits Lambda's lifecycle, the IAM
//! policy builder for API Gateway authorizers, configuration read from the
//! environment, errors and logging set-up.
//!
//! This file only declares modules and re-exports; each concern lives in its
//! own module.
//!
//! The public surface is what the five functions, the `tests` crate, the
//! fuzz targets and the benchmarks use, plus the types that appear in those
//! items' signatures (so that they can be named): the verifier and its
//! configuration, claims, errors, the key set, the policy builder, trigger
//! events, configuration and logging helpers, metrics and the AWS call
//! budget. The transport (`fetch`) and the key cache's internals stay
//! `pub(crate)`.
#![deny(missing_docs)]

pub mod aws;
pub mod bearer;
pub mod claims;
pub mod clock;
pub mod config;
pub mod error;
pub mod function;
pub mod ids;
// The verifier's HTTP and file transport: nothing outside the crate fetches.
pub(crate) mod fetch;
pub mod init;
pub mod json;
pub mod jwks;
pub mod logging;
pub mod metrics;
pub mod policy;
pub mod revocation;
pub mod token;
pub mod trigger;
pub mod verify;

pub use claims::Claims;
pub use config::ConfigError;
pub use error::VerifyError;
pub use verify::{Verifier, VerifierConfig, VerifierCounts};
