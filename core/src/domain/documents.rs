//! The kinds of paper a bank asks for, and the checklist of what is still missing.
//! Owns names and codes only; the vault (not here) owns the bytes.

use serde::{Deserialize, Serialize};

/// A kind of document a villager photographs for an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DocumentKind {
    /// 身份证人像面
    IdCardFront,
    /// 身份证国徽面
    IdCardBack,
    /// 户口簿
    HouseholdRegister,
    /// 土地承包合同 / 土地经营权证
    LandContract,
    /// 营业执照
    BusinessLicense,
    /// 租赁合同
    Lease,
    /// 仓单 / 库存凭证
    InventoryReceipt,
    /// 其他材料
    Other,
}

impl DocumentKind {
    /// Every kind, in the order a checklist shows them.
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::IdCardFront,
        DocumentKind::IdCardBack,
        DocumentKind::HouseholdRegister,
        DocumentKind::LandContract,
        DocumentKind::BusinessLicense,
        DocumentKind::Lease,
        DocumentKind::InventoryReceipt,
        DocumentKind::Other,
    ];

    /// The stable code used in data files, the CLI (`--kind`) and the wire.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::IdCardFront => "id_card_front",
            DocumentKind::IdCardBack => "id_card_back",
            DocumentKind::HouseholdRegister => "household_register",
            DocumentKind::LandContract => "land_contract",
            DocumentKind::BusinessLicense => "business_license",
            DocumentKind::Lease => "lease",
            DocumentKind::InventoryReceipt => "inventory_receipt",
            DocumentKind::Other => "other",
        }
    }

    /// Parses a code as written by [`DocumentKind::code`]; hyphens are accepted for underscores.
    pub fn from_code(code: &str) -> Option<DocumentKind> {
        let c = code.trim().replace('-', "_");
        DocumentKind::ALL.into_iter().find(|k| k.code() == c)
    }

    /// The name in Chinese, as the villager reads it.
    pub fn name_zh(self) -> &'static str {
        match self {
            DocumentKind::IdCardFront => "身份证人像面",
            DocumentKind::IdCardBack => "身份证国徽面",
            DocumentKind::HouseholdRegister => "户口簿",
            DocumentKind::LandContract => "土地承包合同或土地经营权证",
            DocumentKind::BusinessLicense => "营业执照",
            DocumentKind::Lease => "租赁合同",
            DocumentKind::InventoryReceipt => "仓单或库存凭证",
            DocumentKind::Other => "其他材料",
        }
    }

    /// The name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            DocumentKind::IdCardFront => "ID card (photo side)",
            DocumentKind::IdCardBack => "ID card (emblem side)",
            DocumentKind::HouseholdRegister => "Household register",
            DocumentKind::LandContract => "Land contract or land-use right certificate",
            DocumentKind::BusinessLicense => "Business license",
            DocumentKind::Lease => "Lease",
            DocumentKind::InventoryReceipt => "Inventory receipt",
            DocumentKind::Other => "Other document",
        }
    }
}

/// One line of a document checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub kind: DocumentKind,
    pub name_zh: String,
    pub name_en: String,
    /// How many documents of this kind are already captured.
    pub captured: u32,
    /// Whether this kind is still missing.
    pub missing: bool,
}

/// The checklist for a product's required documents given the kinds already captured
/// (in any order, repeats allowed).
pub fn checklist(required: &[DocumentKind], captured: &[DocumentKind]) -> Vec<ChecklistItem> {
    let mut seen: Vec<DocumentKind> = Vec::new();
    let mut items = Vec::new();
    for kind in required {
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        let count = captured.iter().filter(|k| *k == kind).count();
        items.push(ChecklistItem {
            kind: *kind,
            name_zh: kind.name_zh().to_owned(),
            name_en: kind.name_en().to_owned(),
            captured: u32::try_from(count).unwrap_or(u32::MAX),
            missing: count == 0,
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::from_code(k.code()), Some(k));
        }
        assert_eq!(
            DocumentKind::from_code("id-card-front"),
            Some(DocumentKind::IdCardFront)
        );
        assert_eq!(DocumentKind::from_code("passport"), None);
    }

    #[test]
    fn checklist_shows_what_is_still_missing() {
        let required = [
            DocumentKind::IdCardFront,
            DocumentKind::IdCardBack,
            DocumentKind::LandContract,
        ];
        let list = checklist(&required, &[DocumentKind::IdCardFront, DocumentKind::Other]);
        assert_eq!(list.len(), 3);
        assert!(!list[0].missing);
        assert!(list[1].missing && list[2].missing);
        assert_eq!(list[2].name_zh, "土地承包合同或土地经营权证");
    }
}
