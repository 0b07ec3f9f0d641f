//! `huoshui apply PRODUCT --amount YUAN --months N [--doc KIND=FILE]...`: a villager's whole
//! application in one command, through the app facade: the draft, the documents captured into
//! the vault, the submission queued with their uploads, then one attempt to send.
//!
//! Owns parsing the request (money in yuan with the core's exact parser, the `KIND=FILE`
//! pairs) and the two-stage output: the application id as soon as the submission is durably
//! in the outbox (flushed at once), then what the platform has. Must never say "submitted" for
//! what is only queued, and never leave a half-made draft behind when it refuses.

use super::Context;
use super::device::Device;
use super::doc::{DocumentJson, capture_file, open_input};
use crate::error::CliError;
use crate::output;
use huoshui_core::app::views::DraftInput;
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::money::{Fen, parse_yuan};
use serde::Serialize;
use std::path::PathBuf;

/// 申请贷款: draft, capture the documents, submit; works offline.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Product id (产品编号), as `huoshui market` lists it, e.g. runchang-suli.
    pub product: String,
    /// Amount in yuan (贷款金额，元), e.g. 500000 or 500,000.00 (at most 2 decimals).
    #[arg(long)]
    pub amount: String,
    /// Term in months (期限，月).
    #[arg(long)]
    pub months: u32,
    /// A document to capture with it, KIND=FILE (repeatable), e.g.
    /// --doc land_contract=contract.pdf --doc id_card_front=front.jpg
    #[arg(long = "doc", value_parser = parse_doc)]
    pub docs: Vec<DocSpec>,
    /// Your industry (产业，名称或编号), e.g. 酥梨种植 or pear.
    #[arg(long)]
    pub industry: Option<String>,
    /// What the money is for (用途编号), e.g. greenhouse.
    #[arg(long)]
    pub purpose: Option<String>,
    /// Town (乡镇，名称或编号); default: your town on the platform's record.
    #[arg(long)]
    pub town: Option<String>,
}

/// One `--doc KIND=FILE`.
#[derive(Debug, Clone)]
pub struct DocSpec {
    pub kind: DocumentKind,
    pub file: PathBuf,
}

fn parse_doc(text: &str) -> Result<DocSpec, String> {
    let Some((kind, file)) = text.split_once('=') else {
        return Err(format!(
            "材料应写成 类型=文件，例如 land_contract=contract.pdf / write a document as KIND=FILE, e.g. land_contract=contract.pdf (got `{text}`)"
        ));
    };
    let kind = DocumentKind::from_code(kind.trim()).ok_or_else(|| {
        let codes: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.code()).collect();
        format!(
            "未知的材料类型 / unknown document kind `{}`; one of: {}",
            kind.trim(),
            codes.join(", ")
        )
    })?;
    if file.trim().is_empty() {
        return Err(format!(
            "材料 {} 缺少文件名 / document {} has no file name",
            kind.code(),
            kind.code()
        ));
    }
    Ok(DocSpec {
        kind,
        file: PathBuf::from(file),
    })
}

/// An amount typed in yuan, as exact fen (the core's parser: no floating point, at most two
/// decimals, nothing rounded).
pub fn parse_amount(text: &str) -> Result<Fen, CliError> {
    match parse_yuan(text) {
        Some(f) if f > 0 => Ok(f),
        _ => Err(CliError::input(
            format!("金额「{text}」看不懂：请写元，最多两位小数，例如 500000 或 500,000.00"),
            format!(
                "cannot read the amount \"{text}\": write yuan with at most 2 decimals, e.g. 500000 or 500,000.00"
            ),
        )),
    }
}

/// The first thing `apply` says: the application is in the outbox.
#[derive(Debug, Serialize)]
struct Queued {
    stage: &'static str,
    id: String,
    product_id: String,
    product_name_zh: String,
    amount_fen: i64,
    amount: String,
    months: u32,
    state: String,
    documents: Vec<DocumentJson>,
    message_zh: &'static str,
    message_en: &'static str,
}

pub fn run(ctx: &Context, args: ApplyArgs) -> Result<(), CliError> {
    let amount_fen = parse_amount(&args.amount)?;
    if args.months == 0 {
        return Err(CliError::input(
            "期限至少 1 个月",
            "the term must be at least 1 month",
        ));
    }
    // Every file is opened before anything is written, so a typo changes nothing.
    let mut files = Vec::new();
    for spec in &args.docs {
        let (file, size) = open_input(&spec.file)?;
        files.push((spec.kind, file, size));
    }
    let device = Device::open(ctx)?;
    let draft = device.core.create_draft(&DraftInput {
        product_id: args.product.trim().to_owned(),
        amount_fen,
        months: args.months,
        town: args.town.clone().unwrap_or_default(),
        industry: args.industry.clone(),
        purpose: args.purpose.clone(),
    })?;
    let id = draft.id.clone();
    let prepared = (|| -> Result<_, CliError> {
        let mut documents = Vec::new();
        for (kind, file, size) in files {
            documents.push(capture_file(
                &device,
                ctx,
                file,
                size,
                kind,
                Some(id.clone()),
            )?);
        }
        let timeline = device.core.submit(&id)?;
        Ok((documents, timeline))
    })();
    let (documents, timeline) = match prepared {
        Ok(done) => done,
        Err(e) => {
            // Nothing was queued: the draft and its documents go, so a refusal leaves nothing.
            if let Err(gone) = device.core.discard_draft(&id) {
                eprintln!(
                    "注意：草稿 {id} 没能删除：{} / note: draft {id} could not be discarded: {}",
                    gone.message_zh, gone.message_en
                );
            }
            return Err(e);
        }
    };
    let a = &timeline.application;
    let queued = Queued {
        stage: "queued",
        id: id.clone(),
        product_id: a.product_id.clone(),
        product_name_zh: a.product_name_zh.clone(),
        amount_fen: a.amount.fen,
        amount: a.amount.full.clone(),
        months: a.months,
        state: a.state.code().to_owned(),
        documents,
        message_zh: "已保存在本机待发送",
        message_en: "queued on this machine, not sent yet",
    };
    if ctx.json {
        output::print_json_line(&queued)?;
    } else {
        println!("申请编号 application id: {id}");
        println!(
            "已保存在本机待发送 / queued on this machine: {} {} · {} 个月 months · {} 份材料 document(s)",
            queued.product_name_zh,
            queued.amount,
            queued.months,
            queued.documents.len()
        );
        output::flush();
    }
    super::sync::deliver(
        &device,
        ctx,
        &id,
        "已提交，平台已收到申请和材料",
        "submitted: the platform has the application and its documents",
    )
}
