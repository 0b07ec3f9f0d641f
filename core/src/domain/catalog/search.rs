//! Finding things in the catalog by what a villager types: products by Chinese name, pinyin
//! (full or initials), English name or id; towns, industries, purposes and banks by id or name.
//!
//! Owns the search keys made once at load. Must never do I/O.

use super::{Bank, Catalog, Named, Product, Town};

/// The search keys of one product, made once at load.
#[derive(Debug, Clone, Default)]
pub(super) struct SearchKeys {
    /// Full pinyin without tones or spaces, e.g. `sulidai`.
    full: String,
    /// Initials, e.g. `sld`.
    initials: String,
    /// Lowercase English name and id.
    latin: String,
}

impl Catalog {
    /// Finds a town by id or by its Chinese name (with or without 镇/乡/街道).
    pub fn find_town(&self, text: &str) -> Option<&Town> {
        let t = text.trim();
        self.data.towns.iter().find(|x| {
            x.id == t.to_ascii_lowercase()
                || x.name_zh == t
                || (!t.is_empty()
                    && x.name_zh
                        .trim_end_matches(['镇', '乡'])
                        .trim_end_matches("街道")
                        == t)
        })
    }

    /// Finds an industry by id or Chinese name.
    pub fn find_industry(&self, text: &str) -> Option<&Named> {
        let t = text.trim();
        self.data
            .industries
            .iter()
            .find(|x| x.id == t.to_ascii_lowercase() || x.name_zh == t)
    }

    /// Finds a purpose by id or Chinese name.
    pub fn find_purpose(&self, text: &str) -> Option<&Named> {
        let t = text.trim();
        self.data
            .purposes
            .iter()
            .find(|x| x.id == t.to_ascii_lowercase() || x.name_zh == t)
    }

    /// Finds a bank by id or Chinese name (a unique part of it is enough).
    pub fn find_bank(&self, text: &str) -> Option<&Bank> {
        let t = text.trim();
        if let Some(b) = self
            .data
            .banks
            .iter()
            .find(|b| b.id == t.to_ascii_lowercase() || b.name_zh == t)
        {
            return Some(b);
        }
        let mut hits = self
            .data
            .banks
            .iter()
            .filter(|b| !t.is_empty() && b.name_zh.contains(t));
        match (hits.next(), hits.next()) {
            (Some(b), None) => Some(b),
            _ => None,
        }
    }

    /// Whether `query` finds product number `index`: by Chinese name, full pinyin
    /// (`sulidai`, `suli`), pinyin initials (`sld`), English name or id.
    pub fn matches_search(&self, index: usize, query: &str) -> bool {
        let (Some(p), Some(keys)) = (self.data.products.get(index), self.search.get(index)) else {
            return false;
        };
        let q: String = query
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '-')
            .collect();
        if q.is_empty() {
            return true;
        }
        if p.name_zh.contains(q.as_str()) {
            return true;
        }
        let ql = q.to_lowercase();
        keys.full.contains(&ql) || keys.initials.contains(&ql) || keys.latin.contains(&ql)
    }
}

pub(super) fn search_keys(p: &Product) -> SearchKeys {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, py) in p.name_zh.chars().zip(p.name_zh.as_str().to_pinyin()) {
        match py {
            Some(py) => {
                full.push_str(py.plain());
                initials.push_str(py.first_letter());
            }
            None => {
                if ch.is_alphanumeric() {
                    for l in ch.to_lowercase() {
                        full.push(l);
                        initials.push(l);
                    }
                }
            }
        }
    }
    let latin: String = format!("{} {}", p.id, p.name_en)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\'')
        .collect();
    SearchKeys {
        full,
        initials,
        latin,
    }
}
