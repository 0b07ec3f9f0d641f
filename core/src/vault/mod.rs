//! The document vault (being written)
