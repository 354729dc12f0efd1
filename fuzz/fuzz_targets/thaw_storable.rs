#![no_main]
//! Fuzz target `thaw_storable`: see [`cgi_session_fuzz::thaw_storable`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_storable(data));
