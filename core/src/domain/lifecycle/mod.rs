//! The application lifecycle (being written)
