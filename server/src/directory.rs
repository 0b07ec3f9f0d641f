//! What the server needs to know of the county catalog: the whole validated catalog (the
//! product rules and the grade table that `rules::check_application` reads), which bank offers
//! each product, the banks, the towns, the SLA minutes, and the catalog bytes served to phones
//! with their ETag. Owns the translation from `huoshui_core::domain::catalog` into these lookups.
//! Must never change the catalog (it is data, versioned in the core) or invent a product.

use huoshui_core::domain::catalog::Catalog;
use std::collections::HashMap;
use std::sync::Arc;

/// A product as routing sees it.
#[derive(Debug, Clone)]
pub struct ProductRef {
    pub id: String,
    pub bank_id: String,
    pub name_zh: String,
}

/// A bank of the county.
#[derive(Debug, Clone)]
pub struct BankRef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A town or street of the county.
#[derive(Debug, Clone)]
pub struct TownRef {
    pub id: String,
    pub name_zh: String,
}

/// The lookups, plus the catalog document itself.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The validated catalog: product rules, grade table, towns, industries.
    pub catalog: Arc<Catalog>,
    products: HashMap<String, ProductRef>,
    pub banks: Vec<BankRef>,
    pub towns: Vec<TownRef>,
    /// The catalog document served at `/v1/catalog` (JSON).
    pub catalog_json: bytes_alias::Bytes,
    /// Its content version, used as the ETag.
    pub version: String,
    /// SLA minutes from the catalog (first contact, escalation).
    pub sla_minutes: (u32, u32),
}

mod bytes_alias {
    pub type Bytes = std::sync::Arc<Vec<u8>>;
}

impl Directory {
    fn from_parts(
        catalog: Arc<Catalog>,
        products: Vec<ProductRef>,
        banks: Vec<BankRef>,
        towns: Vec<TownRef>,
        catalog_json: Vec<u8>,
        version: String,
        sla_minutes: (u32, u32),
    ) -> Directory {
        let products = products.into_iter().map(|p| (p.id.clone(), p)).collect();
        Directory {
            catalog,
            products,
            banks,
            towns,
            catalog_json: std::sync::Arc::new(catalog_json),
            version,
            sla_minutes,
        }
    }

    pub fn product(&self, id: &str) -> Option<&ProductRef> {
        self.products.get(id)
    }

    pub fn has_town(&self, id: &str) -> bool {
        self.towns.iter().any(|t| t.id == id)
    }

    pub fn bank(&self, id: &str) -> Option<&BankRef> {
        self.banks.iter().find(|b| b.id == id)
    }

    pub fn product_count(&self) -> usize {
        self.products.len()
    }

    /// The credit grade that `points` reach in the county's table (`AAA` …), if any.
    pub fn grade_for_points(&self, points: u32) -> Option<String> {
        self.catalog
            .data()
            .grade_table
            .grade_for_points(points)
            .map(|g| g.code.clone())
    }
}

/// The catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("县域产品目录无法载入：{0} / the county catalog cannot be loaded: {0}")]
pub struct DirectoryError(pub String);

impl Directory {
    /// The lookups of a validated core catalog.
    pub fn from_catalog(catalog: &Catalog) -> Result<Directory, DirectoryError> {
        let data = catalog.data();
        let products = catalog
            .products()
            .iter()
            .map(|p| ProductRef {
                id: p.id.clone(),
                bank_id: p.bank.clone(),
                name_zh: p.name_zh.clone(),
            })
            .collect();
        let banks = data
            .banks
            .iter()
            .map(|b| BankRef {
                id: b.id.clone(),
                name_zh: b.name_zh.clone(),
                name_en: b.name_en.clone(),
            })
            .collect();
        let towns = data
            .towns
            .iter()
            .map(|t| TownRef {
                id: t.id.clone(),
                name_zh: t.name_zh.clone(),
            })
            .collect();
        let json = catalog
            .to_json()
            .map_err(|e| DirectoryError(e.to_string()))?;
        Ok(Directory::from_parts(
            Arc::new(catalog.clone()),
            products,
            banks,
            towns,
            json.into_bytes(),
            catalog.content_hash().to_owned(),
            (data.sla.first_contact_minutes, data.sla.escalation_minutes),
        ))
    }

    /// The county catalog embedded in the core (Guanxian).
    pub fn embedded() -> Result<Directory, DirectoryError> {
        let catalog = Catalog::embedded().map_err(|e| DirectoryError(e.to_string()))?;
        Directory::from_catalog(&catalog)
    }
}
