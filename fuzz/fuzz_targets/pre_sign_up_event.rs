#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_fuzz::pre_sign_up_event(data));
