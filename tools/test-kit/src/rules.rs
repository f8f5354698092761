//! The route rules of docs/authorizer.md's example, which the authorizer's
//! unit tests and the end-to-end tests both use.

/// The example: one stage-wide policy can express them exactly, so they
/// run in the default `stage` scope.
pub const PETS: &str = r#"[
    {"method": "GET", "path": "/pets"},
    {"method": "GET", "path": "/pets/{id}"},
    {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
    {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]}
]"#;

/// [`PETS`] with a rule below `/pets/{id}`: no IAM policy can allow every
/// `/pets/{id}` without reaching `/pets/{id}/secrets`, so init refuses them
/// in the `stage` scope and they run in the `route` scope.
pub const NESTED_PETS: &str = r#"[
    {"method": "GET", "path": "/pets"},
    {"method": "GET", "path": "/pets/{id}"},
    {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
    {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]},
    {"path": "/pets/{id}/secrets", "anyGroups": ["admins"]}
]"#;
