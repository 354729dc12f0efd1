//! Tests of the whole serializer: reading, round trips, hostile input.

mod hostile;
mod lexer;
mod reading;
mod round_trip;
mod writing;
