//! What is wrong with a catalog file and where: the entry, its id and the field, in Chinese and
//! English. Must never lose the position a reader needs to fix the file.

/// What part of the catalog an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Catalog,
    Product,
    Bank,
    Town,
    Industry,
    Purpose,
    Lpr,
    GradeTable,
    Sla,
}

impl Entry {
    fn zh(self) -> &'static str {
        match self {
            Entry::Catalog => "目录",
            Entry::Product => "产品",
            Entry::Bank => "银行",
            Entry::Town => "乡镇",
            Entry::Industry => "产业",
            Entry::Purpose => "用途",
            Entry::Lpr => "LPR",
            Entry::GradeTable => "信用等级表",
            Entry::Sla => "联系时限",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Entry::Catalog => "catalog",
            Entry::Product => "product",
            Entry::Bank => "bank",
            Entry::Town => "town",
            Entry::Industry => "industry",
            Entry::Purpose => "purpose",
            Entry::Lpr => "LPR entry",
            Entry::GradeTable => "grade table",
            Entry::Sla => "SLA",
        }
    }
}

/// A catalog that cannot be used, saying where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Not JSON at all, or the wrong shape outside any product.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// One entry has a bad field.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Invalid {
        entry: Entry,
        id: String,
        field: String,
        zh: String,
        en: String,
    },
}

impl CatalogError {
    /// What is wrong and where, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            CatalogError::Syntax {
                path,
                line,
                column,
                message,
            } => format!(
                "目录文件无法读取（第 {line} 行第 {column} 列，字段 {path}）：{message}，请检查文件格式"
            ),
            CatalogError::Invalid {
                entry,
                id,
                field,
                zh,
                ..
            } => format!("{} {id} 的字段 {field} 无效：{zh}", entry.zh()),
        }
    }

    /// What is wrong and where, in English.
    pub fn message_en(&self) -> String {
        match self {
            CatalogError::Syntax {
                path,
                line,
                column,
                message,
            } => format!(
                "catalog file cannot be read (line {line}, column {column}, field {path}): {message}; check the file format"
            ),
            CatalogError::Invalid {
                entry,
                id,
                field,
                en,
                ..
            } => format!("{} {id} field {field}: {en}", entry.en()),
        }
    }

    pub(super) fn invalid(
        entry: Entry,
        id: &str,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        CatalogError::Invalid {
            entry,
            id: id.to_owned(),
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The product id the error is about, if it is about one.
    pub fn product_id(&self) -> Option<&str> {
        match self {
            CatalogError::Invalid {
                entry: Entry::Product,
                id,
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// The field the error is about.
    pub fn field(&self) -> &str {
        match self {
            CatalogError::Invalid { field, .. } => field,
            CatalogError::Syntax { path, .. } => path,
        }
    }
}

/// Turns a serde error with its path into an error naming the product and the field.
pub(super) fn syntax_error(
    text: &str,
    err: &serde_path_to_error::Error<serde_json::Error>,
) -> CatalogError {
    let path = err.path().to_string();
    let inner = err.inner();
    // products[3].rate.kind → the product's id and the field after it.
    if let Some(rest) = path.strip_prefix("products[")
        && let Some((index, field)) = rest.split_once(']')
        && let Ok(i) = index.parse::<usize>()
    {
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| {
                v.get("products")?
                    .get(i)?
                    .get("id")?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("#{}", i + 1));
        let field = field.trim_start_matches('.');
        let field = if field.is_empty() { "." } else { field };
        let msg = strip_position(&inner.to_string());
        return CatalogError::invalid(
            Entry::Product,
            &id,
            field,
            format!("格式不对（{msg}）"),
            msg,
        );
    }
    CatalogError::Syntax {
        path,
        line: inner.line(),
        column: inner.column(),
        message: strip_position(&inner.to_string()),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_owned(),
        None => msg.to_owned(),
    }
}
