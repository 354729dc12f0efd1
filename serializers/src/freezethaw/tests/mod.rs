//! Tests of the whole serializer: reading, writing and round trips, hostile input.

mod hostile;
mod reading;
mod writing;
