#![no_main]
//! Fuzz target `thaw_freezethaw`: see [`cgi_session_fuzz::thaw_freezethaw`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_freezethaw(data));
