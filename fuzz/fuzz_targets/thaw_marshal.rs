#![no_main]
//! Fuzz target `thaw_marshal`: see [`cgi_session_fuzz::thaw_marshal`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::thaw_marshal(data));
