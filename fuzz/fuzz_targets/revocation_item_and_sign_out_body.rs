#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_fuzz::revocation_item_and_sign_out_body(data));
