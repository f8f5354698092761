//! Test support shared by every end-to-end test: a Lambda Runtime API that
//! drives the real function binaries, a real JWKS server, a moto server, and
//! token minting with the committed development keys.
//!
//! Everything listens on 127.0.0.1 only.

pub mod cognito_local;
pub mod events;
pub mod jwks_server;
pub mod loopback;
pub mod moto;
pub mod moto_front;
pub mod runtime_api;
pub mod tokens;
