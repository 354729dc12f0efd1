#![no_main]
//! Fuzz target `thaw_default`: see [`cgi_session_fuzz::thaw_default`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_default(data));
