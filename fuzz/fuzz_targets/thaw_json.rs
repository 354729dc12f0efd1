#![no_main]
//! Fuzz target `thaw_json`: see [`cgi_session_fuzz::thaw_json`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_json(data));
