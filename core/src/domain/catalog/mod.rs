//! The county's loan catalog: products, banks, towns, industries, purposes, the dated LPR,
//! the virtue-points grade table and the contact SLA, all as data.
//!
//! Owns the catalog's types, its JSON form, its validation (every error names the entry and
//! the field) and its content hash (the ETag). The county's own file ships embedded
//! (`core/data/guanxian.json`) as the first-run default; a newer one comes from the platform.
//! Must never do I/O, and never hard-code a county's products or numbers in code.

//!
//! Rooms: [`model`] (the types of the file), [`badge`] (offer-card badges), [`error`] (what is
//! wrong and where), [`validate`] (the rules a file must meet), [`search`] (finding by what a
//! villager types); the validated [`Catalog`] and its lookups live here.

mod badge;
mod error;
mod model;
mod search;
mod validate;

pub use badge::{Badge, BadgeSet};
pub use error::{CatalogError, Entry};
pub use model::*;

use crate::domain::money::{Fen, RatePpm};
use jiff::civil::Date;
use search::{SearchKeys, search_keys};
use serde::{Deserialize, Serialize};

/// The embedded Guanxian catalog (first-run default).
pub const EMBEDDED_JSON: &str = include_str!("../../../data/guanxian.json");

/// The largest amount any product may lend: 100 million yuan (keeps every sum far from overflow).
pub const MAX_PRODUCT_AMOUNT_FEN: Fen = 10_000_000_000;
/// The longest term any product may have: 30 years.
pub const MAX_PRODUCT_MONTHS: u32 = 360;
/// The highest contract rate a product may state: 36 % a year.
pub const MAX_PRODUCT_RATE_PPM: RatePpm = 360_000;

/// A validated catalog with its content hash and search index.
#[derive(Debug, Clone)]
pub struct Catalog {
    data: CatalogData,
    hash: String,
    search: Vec<SearchKeys>,
    badges: Vec<BadgeSet>,
}

impl Serialize for Catalog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Catalog {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = CatalogData::deserialize(d)?;
        Catalog::from_data(data).map_err(serde::de::Error::custom)
    }
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

impl Catalog {
    /// The catalog embedded in the app (Guanxian), validated.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_json(EMBEDDED_JSON)
    }

    /// Parses and validates a catalog file.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let data: CatalogData = match serde_path_to_error::deserialize(&mut de) {
            Ok(d) => d,
            Err(err) => return Err(error::syntax_error(text, &err)),
        };
        if let Err(e) = de.end() {
            return Err(CatalogError::Syntax {
                path: ".".into(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            });
        }
        Catalog::from_data(data)
    }

    /// Validates data already in memory.
    pub fn from_data(data: CatalogData) -> Result<Catalog, CatalogError> {
        validate::validate(&data)?;
        let canonical = serde_json::to_vec(&data).map_err(|e| CatalogError::Syntax {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &canonical);
        let hash = crate::hex::encode(digest.as_ref());
        let search = data.products.iter().map(search_keys).collect();
        let badges = data.products.iter().map(Product::all_badges).collect();
        Ok(Catalog {
            data,
            hash,
            search,
            badges,
        })
    }

    /// The catalog in its canonical JSON form (the bytes the hash is taken over).
    pub fn to_json(&self) -> Result<String, CatalogError> {
        serde_json::to_string(&self.data).map_err(|e| CatalogError::Syntax {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    }

    /// SHA-256 (hex) of the canonical JSON: stable across formatting, changes with any value.
    /// Use it as the ETag.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// The data version written in the file.
    pub fn version(&self) -> &str {
        &self.data.version
    }

    pub fn data(&self) -> &CatalogData {
        &self.data
    }

    pub fn products(&self) -> &[Product] {
        &self.data.products
    }

    /// The badges of product number `index` (made once at load).
    pub fn badges_at(&self, index: usize) -> BadgeSet {
        self.badges.get(index).copied().unwrap_or_default()
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        let id = id.trim();
        self.data.products.iter().find(|p| p.id == id)
    }

    pub fn bank(&self, id: &str) -> Option<&Bank> {
        self.data.banks.iter().find(|b| b.id == id)
    }

    pub fn town(&self, id: &str) -> Option<&Town> {
        self.data.towns.iter().find(|t| t.id == id)
    }

    pub fn bank_name_zh(&self, id: &str) -> &str {
        self.bank(id).map(|b| b.name_zh.as_str()).unwrap_or("")
    }

    pub fn town_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.town(id).map(|b| b.name_zh.as_str()).unwrap_or(id)
    }

    pub fn industry_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.data
            .industries
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.name_zh.as_str())
            .unwrap_or(id)
    }

    pub fn purpose_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.data
            .purposes
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.name_zh.as_str())
            .unwrap_or(id)
    }

    /// The LPR in force on `date`: the latest entry not after it.
    pub fn lpr_on(&self, date: Date) -> Option<&LprEntry> {
        self.data
            .lpr
            .iter()
            .filter(|e| e.since <= date)
            .max_by_key(|e| e.since)
    }

    /// The contract annual rate of `product` on `date` before any grade discount
    /// (`None` when a floating rate has no LPR in force yet).
    pub fn base_rate(&self, product: &Product, date: Date) -> Option<RatePpm> {
        match product.rate {
            RateRule::Fixed { annual_ppm } => Some(annual_ppm),
            RateRule::Lpr { tenor, spread_bp } => {
                let e = self.lpr_on(date)?;
                let lpr = match tenor {
                    LprTenor::OneYear => e.one_year_ppm,
                    LprTenor::FiveYear => e.five_year_ppm,
                };
                Some(lpr + i64::from(spread_bp) * 100)
            }
        }
    }
}
