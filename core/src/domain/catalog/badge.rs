//! The badges of an offer card (贴息, 免抵押 …) and a small set of them. Must never do I/O.

use serde::{Deserialize, Serialize};

/// A badge shown on an offer card. Some come from the data, most follow from the terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    /// 贴息
    InterestSubsidy,
    /// 担保费补贴
    FeeSubsidy,
    /// 政府担保
    GovernmentGuarantee,
    /// 免担保 (credit loan, no collateral)
    NoCollateral,
    /// 随借随还
    Revolving,
    /// 宽限期
    GracePeriod,
    /// 美德积分
    VirtuePoints,
    /// 极速审批 (typically approved within a day)
    FastApproval,
    /// 线上办理
    Online,
    /// 全省首创
    FirstInProvince,
}

impl Badge {
    pub const ALL: [Badge; 10] = [
        Badge::InterestSubsidy,
        Badge::FeeSubsidy,
        Badge::GovernmentGuarantee,
        Badge::NoCollateral,
        Badge::Revolving,
        Badge::GracePeriod,
        Badge::VirtuePoints,
        Badge::FastApproval,
        Badge::Online,
        Badge::FirstInProvince,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "interest_subsidy",
            Badge::FeeSubsidy => "fee_subsidy",
            Badge::GovernmentGuarantee => "government_guarantee",
            Badge::NoCollateral => "no_collateral",
            Badge::Revolving => "revolving",
            Badge::GracePeriod => "grace_period",
            Badge::VirtuePoints => "virtue_points",
            Badge::FastApproval => "fast_approval",
            Badge::Online => "online",
            Badge::FirstInProvince => "first_in_province",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "贴息",
            Badge::FeeSubsidy => "担保费补贴",
            Badge::GovernmentGuarantee => "政府担保",
            Badge::NoCollateral => "免担保",
            Badge::Revolving => "随借随还",
            Badge::GracePeriod => "宽限期",
            Badge::VirtuePoints => "美德积分",
            Badge::FastApproval => "极速审批",
            Badge::Online => "线上办理",
            Badge::FirstInProvince => "全省首创",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "Interest subsidy",
            Badge::FeeSubsidy => "Guarantee-fee subsidy",
            Badge::GovernmentGuarantee => "Government guarantee",
            Badge::NoCollateral => "No collateral",
            Badge::Revolving => "Borrow and repay any time",
            Badge::GracePeriod => "Grace period",
            Badge::VirtuePoints => "Virtue points",
            Badge::FastApproval => "Fast approval",
            Badge::Online => "Apply online",
            Badge::FirstInProvince => "First in the province",
        }
    }

    /// Parses a code (hyphens allowed) or the Chinese name.
    pub fn parse(text: &str) -> Option<Badge> {
        let t = text.trim();
        let code = t.to_ascii_lowercase().replace('-', "_");
        Badge::ALL
            .into_iter()
            .find(|b| b.code() == code || b.name_zh() == t)
    }
}

/// A set of badges, small and `Copy` (a bit per badge); serialized as the list of badge
/// codes in the order of [`Badge::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BadgeSet(u16);

impl BadgeSet {
    fn bit(b: Badge) -> u16 {
        let i = Badge::ALL.iter().position(|x| *x == b).unwrap_or(0);
        1u16 << i
    }

    /// Adds a badge.
    pub fn insert(&mut self, b: Badge) {
        self.0 |= BadgeSet::bit(b);
    }

    /// Whether the set holds `b`.
    pub fn contains(&self, b: &Badge) -> bool {
        self.0 & BadgeSet::bit(*b) != 0
    }

    /// The badges in display order.
    pub fn iter(self) -> impl Iterator<Item = Badge> {
        Badge::ALL.into_iter().filter(move |b| self.contains(b))
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The Chinese names joined with `、`.
    pub fn names_zh(self) -> String {
        self.iter()
            .map(Badge::name_zh)
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The English names joined with `, `.
    pub fn names_en(self) -> String {
        self.iter()
            .map(Badge::name_en)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromIterator<Badge> for BadgeSet {
    fn from_iter<I: IntoIterator<Item = Badge>>(iter: I) -> Self {
        let mut s = BadgeSet::default();
        for b in iter {
            s.insert(b);
        }
        s
    }
}

impl Serialize for BadgeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for BadgeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Badge>::deserialize(d)?.into_iter().collect())
    }
}
