//! `huoshui doc`: capture, list and export encrypted documents (证件材料) in the data folder.
//!
//! Owns the terminal side only: reading the file in pieces, the progress bar, the tables and
//! the JSON. Everything else goes through the app facade (`start_capture` / `finish_capture`,
//! `documents`, `export_to_file`), whose vault does the checking, stripping and encryption;
//! this module must never open the store or the vault itself, and never write a document's
//! plaintext anywhere but the `export` target the user named.

use super::Context;
use super::device::{Device, resolve_application};
use crate::error::CliError;
use crate::output;
use huoshui_core::app::views::DocumentView as CoreDocument;
use huoshui_core::domain::documents::DocumentKind;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

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
    /// 重置密钥: the encryption key is lost (other key file, wiped keystore): remove what can
    /// no longer be opened, keep the records of documents already on the platform, and say
    /// what was removed and kept. Refused when the key works.
    Reset,
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

pub fn run(ctx: &Context, args: DocArgs) -> Result<(), CliError> {
    match args.command {
        DocCommand::Add {
            file,
            kind,
            application,
        } => add(ctx, &file, kind, application.as_deref()),
        DocCommand::List { application } => list(ctx, application.as_deref()),
        DocCommand::Export { id, out } => export(ctx, &id, &out),
        DocCommand::Reset => reset(ctx),
    }
}

/// One document as the commands print it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentJson {
    pub id: String,
    pub kind: String,
    pub kind_name_zh: String,
    pub kind_name_en: String,
    pub media: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub application_id: Option<String>,
    /// When it was captured, China time (`11月28日 09:05`).
    pub captured_zh: String,
}

impl From<CoreDocument> for DocumentJson {
    fn from(d: CoreDocument) -> DocumentJson {
        DocumentJson {
            id: d.id,
            kind: super::device::code_of(&d.kind),
            kind_name_zh: d.kind_zh,
            kind_name_en: d.kind_en,
            media: d.media,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            application_id: d.application_id,
            captured_zh: d.captured_zh,
        }
    }
}

/// Files at least this large get a progress bar (on a terminal, without `--json`).
const PROGRESS_FROM_BYTES: u64 = 4 * 1024 * 1024;

/// Opens a file the user named to capture it (bad input when it cannot be read).
pub fn open_input(file: &Path) -> Result<(std::fs::File, u64), CliError> {
    let input = std::fs::File::open(file).map_err(|e| {
        CliError::input(
            format!("无法打开文件 {}：{e}", file.display()),
            format!("cannot open file {}: {e}", file.display()),
        )
    })?;
    if input.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(CliError::input(
            format!("{} 是文件夹，不是文件", file.display()),
            format!("{} is a folder, not a file", file.display()),
        ));
    }
    let total = input.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((input, total))
}

/// Captures one file into the vault through the facade, in 64 KiB pieces, for an application
/// (its canonical id) or none. Nothing is kept when the vault refuses the file.
pub fn capture_file(
    device: &Device,
    ctx: &Context,
    mut input: std::fs::File,
    total: u64,
    kind: DocumentKind,
    application: Option<String>,
) -> Result<DocumentJson, CliError> {
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
    let mut capture = device.core.start_capture(kind, application)?;
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
        capture.write_chunk(piece)?;
        bar.inc(n as u64);
    }
    let doc = device.core.finish_capture(capture)?;
    bar.finish_and_clear();
    Ok(doc.into())
}

fn add(
    ctx: &Context,
    file: &Path,
    kind: DocumentKind,
    application: Option<&str>,
) -> Result<(), CliError> {
    let (input, total) = open_input(file)?;
    let device = Device::open(ctx)?;
    let application = application
        .map(|a| resolve_application(&device, a))
        .transpose()?;
    let v = capture_file(&device, ctx, input, total, kind, application.clone())?;
    // A document of an application the platform already has is queued for upload.
    let queued = match &application {
        Some(id) => device
            .core
            .applications()?
            .iter()
            .any(|a| &a.id == id && a.state != huoshui_core::domain::lifecycle::State::Draft),
        None => false,
    };
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
    if queued {
        println!(
            "上传已保存待发送，运行 huoshui sync 发送 / the upload is queued; run huoshui sync to send it"
        );
    }
    Ok(())
}

fn list(ctx: &Context, application: Option<&str>) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let views: Vec<DocumentJson> = device
        .core
        .documents(None)?
        .into_iter()
        .filter(|d| application.is_none() || d.application_id.as_deref() == application)
        .map(DocumentJson::from)
        .collect();
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
            v.media.clone(),
            v.size_bytes.to_string(),
            v.application_id.clone().unwrap_or_else(|| "—".into()),
            v.captured_zh.clone(),
        ]);
    }
    println!("{table}");
    Ok(())
}

fn export(ctx: &Context, id: &str, out: &Path) -> Result<(), CliError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| {
        CliError::input(
            format!("证件编号无效：{id}"),
            format!("invalid document id: {id}"),
        )
    })?;
    let device = Device::open(ctx)?;
    let doc = device.core.export_to_file(id.trim(), out)?;
    if ctx.json {
        return output::print_json(&serde_json::json!({
            "id": doc.id,
            "out": out.display().to_string(),
            "size_bytes": doc.size_bytes,
            "sha256": doc.sha256,
        }));
    }
    println!(
        "已解密导出 / exported decrypted: {} → {} ({} 字节 bytes)",
        doc.id,
        out.display(),
        doc.size_bytes
    );
    Ok(())
}

fn reset(ctx: &Context) -> Result<(), CliError> {
    let device = Device::reset_lost_key(ctx)?;
    let Some(r) = device.core.last_reset()? else {
        return Err(CliError::failed(
            "internal",
            "重置后没有找到重置记录",
            "no record of the reset was found after it ran",
        ));
    };
    if ctx.json {
        return output::print_json(&serde_json::json!({
            "at_ms": r.at_ms,
            "documents_removed": r.documents_removed,
            "kinds_removed": r.kinds_removed.iter().map(|k| k.code()).collect::<Vec<_>>(),
            "applications_affected": r.applications_affected,
            "documents_kept": r.documents_kept,
            "drafts_removed": r.drafts_removed,
            "drafts_kept": r.drafts_kept,
            "commands_removed": r.commands_removed,
            "commands_kept": r.commands_kept,
            "applications_unsent": r.applications_unsent,
            "summary_zh": r.summary_zh,
            "summary_en": r.summary_en,
        }));
    }
    println!("已换上新的加密密钥 / a new encryption key is in use");
    println!(
        "已删除 removed: {} 份未上传的证件 documents not uploaded{}; {} 份草稿 drafts; {} 项未发送的操作 unsent actions; {} 份平台没收到的申请 applications the platform never received",
        r.documents_removed,
        if r.kinds_removed_zh.is_empty() {
            String::new()
        } else {
            format!("（{}）", r.kinds_removed_zh.join("、"))
        },
        r.drafts_removed,
        r.commands_removed,
        r.applications_unsent,
    );
    for id in &r.applications_affected {
        println!("需要重新拍摄证件的申请 retake documents for: {id}");
    }
    println!(
        "仍记录在本机 kept: {} 份已上传到平台的证件，不用重拍 / document(s) already on the platform, not asked for again",
        r.documents_kept
    );
    println!(
        "保留 kept: {} 份草稿 drafts; {} 项未发送的操作，重新登录后发送 unsent actions, sent after you sign in again",
        r.drafts_kept, r.commands_kept
    );
    println!("请重新登录：huoshui account login / sign in again: huoshui account login");
    Ok(())
}
