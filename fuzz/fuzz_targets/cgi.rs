#![no_main]
//! Fuzz target `cgi`: see [`cgi_session_fuzz::cgi`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::cgi(data));
