#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customauth_fuzz::verify_ticket(data));
