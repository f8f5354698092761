//! The end-to-end tests, in one test binary: the real function binaries
//! driven through the Lambda Runtime API harness of the `e2e_tests` library
//! (`tests/src`), with real JWKS, moto and cognito-local peers on 127.0.0.1.
//!
//! One binary rather than one per file: each test binary links every
//! function crate, so eighteen of them cost eighteen links and about 240 MiB
//! of disk each (docs/testing.md has the figures). A module per function, then
//! one per concern that crosses them. Run one module with its path as the
//! filter, e.g. `cargo test -p e2e-tests --test e2e lifecycle::`.
//!
//! A new module is a file (or a folder with a `mod.rs`) here and a `mod`
//! line below; a test file directly under `tests/tests/` would be a binary
//! of its own, which `harness::the_end_to_end_tests_are_one_binary` refuses.

// ---- One module per function ---------------------------------------------------
mod authorizer;
mod custom_message;
// the custom email and SMS sender triggers
mod custom_sender;
// the custom resource that hands the pool's keys to the authorizer at deploy
mod deploy_keys;
mod post_confirmation;
mod pre_sign_up;
mod pre_token_generation;
// the revocation recorder and sign-out
mod revocation;
// pre-authentication and post-authentication
mod sign_in;
// the user migration trigger
mod user_migration;
// the shared verifier (`cognito_auth_core::Verifier`), against real JWKS
mod verifier;

// ---- Concerns across the functions ---------------------------------------------
mod abuse;
mod alarms;
mod configuration;
mod docs;
mod faults;
mod harness;
mod lifecycle;
mod log_audit;
mod metrics;
mod template;
