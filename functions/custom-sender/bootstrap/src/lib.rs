//! The custom-sender bootstrap: the `custom-sender` library's
//! [`custom_sender::State`] with the AWS Encryption SDK's KMS keyring as its
//! [`custom_sender::DecryptCode`].
//!
//! A Cargo workspace of its own, so that what aws-esdk brings (ring, a
//! second TLS stack, a second AWS-LC) is linked into this binary only
//! (docs/custom-sender.md, "Supply chain").
#![deny(missing_docs)]

pub mod decrypt;

pub use decrypt::EsdkDecryptor;
