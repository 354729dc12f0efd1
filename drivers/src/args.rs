//! Reading driver arguments. STUB.
