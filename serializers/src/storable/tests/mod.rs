//! Tests of the whole serializer: hand-made images, round trips, hostile input.

mod hostile;
mod images;
mod round_trip;
