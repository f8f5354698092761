//! Test support shared by every end-to-end test: a Lambda Runtime API that
//! drives the real function binaries, a real JWKS server, a moto server, and
//! token minting with the committed development keys.
//!
//! Everything listens on 127.0.0.1 only.

pub mod cognito_local;
pub mod custom_sender;
pub mod declarations;
pub mod emf;
pub mod events;
/// The fuzz targets' invariants and fixtures, compiled here too so that
/// the end-to-end tests `abuse::fuzz_corpus`, which replay the fuzz corpus
/// on stable through the real binaries, check exactly what the targets
/// check. A `#[path]`
/// module rather than a dependency on the fuzz crate, which needs nightly
/// and libFuzzer and is kept out of this workspace; the file itself says
/// what it may depend on.
#[path = "../../fuzz/src/checks.rs"]
pub mod fuzz_checks;
pub mod jwks_server;
pub mod legacy_endpoint;
pub mod loopback;
pub mod moto;
pub mod moto_front;
pub mod runtime_api;
pub mod tokens;
