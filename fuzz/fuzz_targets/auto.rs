#![no_main]
//! Fuzz target `auto`: see [`cgi_session_fuzz::auto`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::auto(data));
