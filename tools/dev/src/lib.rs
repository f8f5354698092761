//! What the tools in `src/bin/` share: their command-line handling, so that
//! each binary only says which options it takes.

pub mod cli;
