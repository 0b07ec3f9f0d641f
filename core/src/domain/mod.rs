//! The Huoshui domain. Owns the rules of money, products, offers, credit, applications and
//! loans in progress (the dated plan, repayments, early repayment, revolving lines).
//! Must never do I/O: no clock, no disk, no network. Everything comes in as a value.

pub mod catalog;
pub mod china;
pub mod cost;
pub mod credit;
pub mod documents;
pub mod lifecycle;
pub mod market;
pub mod money;
pub mod repayment;
pub mod rules;
