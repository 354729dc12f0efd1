#![no_main]
//! Fuzz target `thaw_yaml`: see [`cgi_session_fuzz::thaw_yaml`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_yaml(data));
