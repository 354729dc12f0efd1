//! Tests of the whole serializer: hand-made images, round trips, hostile input.

mod hostile;
mod images;
mod round_trip;

/// Runs `f` on a thread with the 2 MB stack Rust gives new threads, as a server would.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}
