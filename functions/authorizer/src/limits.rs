//! API Gateway's limits on an authorizer's answer, and the budgets this
//! crate splits them into: every size check reads its figure here.
//!
//! API Gateway answers 500 to every caller whose authorizer answer (policy
//! and context together) is over 8 KB. The limit is read as
//! [`ANSWER_LIMIT`] = 8,000 bytes of serialised JSON, which holds whether
//! AWS means 8,000 or 8,192. A stage-wide policy may take
//! [`POLICY_BUDGET`] (proved at init by [`crate::stage_check`]); the
//! context gets exactly what the policy leaves ([`crate::response`]). Each
//! resource ARN of a policy is at most [`MAX_RESOURCE_ARN_LEN`] characters.

pub use cognito_auth_core::policy::MAX_RESOURCE_ARN_LEN;

/// The most bytes of JSON an answer may take.
pub const ANSWER_LIMIT: usize = 8000;

/// What a stage-wide policy must leave for the rest of the answer: the
/// `principalId`, the context and `usageIdentifierKey`.
pub const RESERVED_FOR_CONTEXT: usize = 2048;

/// The most bytes a policy may take: API Gateway's 8 KB for the whole
/// answer, less what the rest of the answer may need
/// ([`ANSWER_LIMIT`], [`RESERVED_FOR_CONTEXT`]).
pub const POLICY_BUDGET: usize = ANSWER_LIMIT - RESERVED_FOR_CONTEXT;

/// The longest `sub`, `username`, `client_id`, pool id or usage key, in
/// bytes of JSON string content (Cognito's are at most 128 characters).
pub const MAX_ID_VALUE: usize = 256;

/// The longest `email` (RFC 5321 allows 254).
pub const MAX_EMAIL: usize = 320;
