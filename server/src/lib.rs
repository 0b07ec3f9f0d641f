//! The county platform server (being written)
