#![no_main]
//! Fuzz target `dsn`: see [`cgi_session_fuzz::dsn`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::dsn(data));
