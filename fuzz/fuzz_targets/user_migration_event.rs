#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_fuzz::user_migration_event(data));
