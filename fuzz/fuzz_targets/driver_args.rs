#![no_main]
//! Fuzz target `driver_args`: see [`cgi_session_fuzz::driver_args`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| cgi_session_fuzz::driver_args(data));
