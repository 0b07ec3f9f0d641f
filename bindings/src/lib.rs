//! The UniFFI surface (being written)
