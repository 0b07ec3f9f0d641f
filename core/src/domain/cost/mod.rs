//! The cost engine (being written)
