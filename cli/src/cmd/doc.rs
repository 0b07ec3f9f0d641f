//! `huoshui doc`: capture, list and export encrypted documents (证件材料) in the data folder.
//!
//! Owns the terminal side only: reading the file in pieces, the progress bar, the tables and
//! the JSON. The core's vault does the checking, stripping and encryption; this module must
//! never write a document's plaintext anywhere but the `export` target the user named.
//!
//! The data folder is `--data-dir` / `HUOSHUI_DATA_DIR`, else the user's data folder
//! (`dirs::data_dir()/huoshui`, e.g. `~/.local/share/huoshui` on Linux). The terminal uses the
//! core's `SoftwareKeystore` (its key file lies in `<data>/keys/`); the phone apps use the
//! platform keystores instead.

use super::Context;
use crate::error::CliError;
use crate::output;
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::store::{Store, StoreError};
use huoshui_core::vault::{DocumentInfo, InstallKey, SoftwareKeystore, Vault, VaultError};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// 证件材料: capture, list and export encrypted documents.
#[derive(Debug, clap::Args)]
pub struct DocArgs {
    #[command(subcommand)]
    pub command: DocCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum DocCommand {
    /// 添加: check, strip metadata from and encrypt a photo or PDF (JPEG, PNG, HEIC, PDF).
    Add {
        /// The file to capture.
        file: PathBuf,
        /// The kind of document: id_card_front, id_card_back, household_register, land_contract,
        /// business_license, lease, inventory_receipt, other.
        #[arg(long, value_parser = parse_kind)]
        kind: DocumentKind,
        /// The application the document belongs to.
        #[arg(long)]
        application: Option<String>,
    },
    /// 列表: the documents kept in the data folder.
    List {
        /// Only the documents of this application.
        #[arg(long)]
        application: Option<String>,
    },
    /// 导出: decrypt a document to a file (it is written only if the whole document verifies).
    Export {
        /// The document id, as `doc list` shows it.
        id: String,
        /// Where to write the decrypted file.
        out: PathBuf,
    },
}

fn parse_kind(s: &str) -> Result<DocumentKind, String> {
    DocumentKind::from_code(s).ok_or_else(|| {
        let codes: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.code()).collect();
        format!(
            "未知的证件类型 / unknown kind `{s}`; one of: {}",
            codes.join(", ")
        )
    })
}

/// The data folder of the device side.
pub fn data_dir(ctx: &Context) -> Result<PathBuf, CliError> {
    match &ctx.data_dir {
        Some(d) => Ok(d.clone()),
        None => dirs::data_dir().map(|d| d.join("huoshui")).ok_or_else(|| {
            CliError::input(
                "找不到用户数据目录，请用 --data-dir 指定",
                "no user data folder found; give one with --data-dir",
            )
        }),
    }
}

/// Splits a core message "中文 / English" into its two halves.
fn split_message(msg: &str) -> (String, String) {
    match msg.split_once(" / ") {
        Some((zh, en)) => (zh.to_owned(), en.to_owned()),
        None => (msg.to_owned(), msg.to_owned()),
    }
}

fn vault_error(err: VaultError) -> CliError {
    let code = match &err {
        VaultError::UnsupportedType => "unsupported_type",
        VaultError::TooLarge { .. } => "too_large",
        VaultError::Empty => "empty_file",
        VaultError::InvalidImage { .. } => "invalid_image",
        VaultError::KeyLost => "key_lost",
        VaultError::Corrupt { .. } => "corrupt",
        VaultError::NotFound { .. } => "not_found",
        VaultError::Keystore(_) => "keystore",
        VaultError::Crypto => "crypto",
        VaultError::Io { .. } => "io",
    };
    let (zh, en) = split_message(&err.to_string());
    CliError::failed(code, zh, en)
}

fn store_error(err: StoreError) -> CliError {
    let code = match &err {
        StoreError::TooNew { .. } => "store_too_new",
        StoreError::Vault(VaultError::KeyLost) => "key_lost",
        _ => "store",
    };
    let (zh, en) = split_message(&err.to_string());
    CliError::failed(code, zh, en)
}

struct Opened {
    vault: Vault,
    store: Store,
}

fn open(ctx: &Context) -> Result<Opened, CliError> {
    let dir = data_dir(ctx)?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::failed(
            "io",
            format!("无法创建数据目录 {}：{e}", dir.display()),
            format!("cannot create data folder {}: {e}", dir.display()),
        )
    })?;
    let keystore =
        SoftwareKeystore::open_or_create(&dir.join("keys").join(SoftwareKeystore::FILE_NAME))
            .map_err(vault_error)?;
    let key = Arc::new(InstallKey::open_or_create(&dir, &keystore).map_err(vault_error)?);
    let vault = Vault::open(&dir, Arc::clone(&key)).map_err(vault_error)?;
    let opened = Store::open(&dir, key, jiff::Timestamp::now()).map_err(store_error)?;
    if let Some(aside) = &opened.moved_aside {
        eprintln!(
            "注意：本地数据库已损坏，已移到 {} / note: the local database was damaged and moved to {}",
            aside.display(),
            aside.display()
        );
    }
    Ok(Opened {
        vault,
        store: opened.store,
    })
}

pub fn run(ctx: &Context, args: DocArgs) -> Result<(), CliError> {
    match args.command {
        DocCommand::Add {
            file,
            kind,
            application,
        } => add(ctx, &file, kind, application.as_deref()),
        DocCommand::List { application } => list(ctx, application.as_deref()),
        DocCommand::Export { id, out } => export(ctx, &id, &out),
    }
}

/// One document as the commands print it.
#[derive(Debug, Serialize)]
struct DocumentView {
    id: String,
    kind: &'static str,
    kind_name_zh: &'static str,
    kind_name_en: &'static str,
    media: &'static str,
    size_bytes: u64,
    sha256: String,
    application_id: Option<String>,
    created_at: Option<String>,
}

fn view(
    info: &DocumentInfo,
    application_id: Option<String>,
    created_at: Option<jiff::Timestamp>,
) -> DocumentView {
    DocumentView {
        id: info.id.to_string(),
        kind: info.kind.code(),
        kind_name_zh: info.kind.name_zh(),
        kind_name_en: info.kind.name_en(),
        media: info.media.code(),
        size_bytes: info.size_bytes,
        sha256: info.sha256.clone(),
        application_id,
        created_at: created_at.map(|t| t.to_string()),
    }
}

/// Files at least this large get a progress bar (on a terminal, without `--json`).
const PROGRESS_FROM_BYTES: u64 = 4 * 1024 * 1024;

fn add(
    ctx: &Context,
    file: &Path,
    kind: DocumentKind,
    application: Option<&str>,
) -> Result<(), CliError> {
    let mut input = std::fs::File::open(file).map_err(|e| {
        CliError::input(
            format!("无法打开文件 {}：{e}", file.display()),
            format!("cannot open file {}: {e}", file.display()),
        )
    })?;
    let total = input.metadata().map(|m| m.len()).unwrap_or(0);
    let opened = open(ctx)?;
    let bar = if ctx.json || total < PROGRESS_FROM_BYTES {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "加密中 encrypting {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        ) {
            bar.set_style(style);
        }
        bar
    };
    let mut writer = opened.vault.create_document(kind).map_err(vault_error)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(CliError::failed(
                    "io",
                    format!("读取文件失败：{e}"),
                    format!("cannot read the file: {e}"),
                ));
            }
        };
        let piece = buf.get(..n).unwrap_or(&[]);
        writer.write_chunk(piece).map_err(vault_error)?;
        bar.inc(n as u64);
    }
    let info = writer.finish().map_err(vault_error)?;
    bar.finish_and_clear();
    let now = jiff::Timestamp::now();
    opened
        .store
        .record_document(&info, application, now)
        .map_err(store_error)?;
    let v = view(&info, application.map(str::to_owned), Some(now));
    if ctx.json {
        return output::print_json(&v);
    }
    println!(
        "已加密保存 / saved encrypted: {} ({} / {})",
        v.id, v.kind_name_zh, v.kind_name_en
    );
    println!(
        "大小 size: {} 字节 bytes, SHA-256: {}",
        v.size_bytes, v.sha256
    );
    Ok(())
}

fn list(ctx: &Context, application: Option<&str>) -> Result<(), CliError> {
    let opened = open(ctx)?;
    let rows = opened.store.documents(None).map_err(store_error)?;
    // The vault's files are the truth; the store adds the application and the time.
    let mut views: Vec<(Option<jiff::Timestamp>, DocumentView)> = opened
        .vault
        .list()
        .map_err(vault_error)?
        .iter()
        .map(|info| {
            let row = rows.iter().find(|r| r.id == info.id);
            let app = row.and_then(|r| r.application_id.clone());
            let at = row.map(|r| r.created_at);
            (at, view(info, app, at))
        })
        .filter(|(_, v)| application.is_none() || v.application_id.as_deref() == application)
        .collect();
    views.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let views: Vec<DocumentView> = views.into_iter().map(|(_, v)| v).collect();
    if ctx.json {
        return output::print_json(&serde_json::json!({ "documents": views }));
    }
    if views.is_empty() {
        println!("还没有证件材料 / no documents yet");
        return Ok(());
    }
    let mut table = output::table();
    table.set_header([
        "编号 id",
        "类型 kind",
        "格式 type",
        "大小 bytes",
        "申请 application",
        "时间 added",
    ]);
    for v in &views {
        table.add_row([
            v.id.clone(),
            format!("{} {}", v.kind_name_zh, v.kind),
            v.media.to_owned(),
            v.size_bytes.to_string(),
            v.application_id.clone().unwrap_or_else(|| "—".into()),
            v.created_at.clone().unwrap_or_else(|| "—".into()),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn export(ctx: &Context, id: &str, out: &Path) -> Result<(), CliError> {
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| {
        CliError::input(
            format!("证件编号无效：{id}"),
            format!("invalid document id: {id}"),
        )
    })?;
    let opened = open(ctx)?;
    let info = opened.vault.export(id, out).map_err(vault_error)?;
    if ctx.json {
        return output::print_json(&serde_json::json!({
            "id": info.id.to_string(),
            "out": out.display().to_string(),
            "size_bytes": info.size_bytes,
            "sha256": info.sha256,
        }));
    }
    println!(
        "已解密导出 / exported decrypted: {} → {} ({} 字节 bytes)",
        info.id,
        out.display(),
        info.size_bytes
    );
    Ok(())
}
