//! Printing: JSON for machines, tables for people.

use crate::cmd::Context;
use crate::error::CliError;
use serde::Serialize;

/// Prints one JSON value on standard output.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        CliError::failed(
            "output",
            format!("无法输出 JSON：{e}"),
            format!("cannot write JSON: {e}"),
        )
    })?;
    println!("{text}");
    Ok(())
}

/// Prints one JSON value on one line and flushes it at once: for commands that report in
/// stages (`apply`, `act`: first "queued", then what the platform said), one object a line.
pub fn print_json_line<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| {
        CliError::failed(
            "output",
            format!("无法输出 JSON：{e}"),
            format!("cannot write JSON: {e}"),
        )
    })?;
    println!("{text}");
    flush();
    Ok(())
}

/// Pushes what was printed to the reader now (before a step that may take long or be cut short).
pub fn flush() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// A table in the house style: UTF-8 borders, content-sized columns.
pub fn table() -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t
}

/// Prints an error: JSON on standard output with `--json`, else both languages on standard error.
pub fn print_error(ctx: &Context, err: &CliError) {
    if err.said {
        return;
    }
    say_error(ctx.json, err.code, &err.zh, &err.en);
}

/// The one way the shell says an error: with `json`, the platform's error body
/// (`{"error":{"code","message_zh","message_en"}}`) on standard output; else both languages on
/// standard error.
pub fn say_error(json: bool, code: &str, zh: &str, en: &str) {
    if json {
        let body = huoshui_core::wire::ErrorBody {
            error: huoshui_core::wire::ErrorDetail {
                code: code.to_owned(),
                message_zh: zh.to_owned(),
                message_en: en.to_owned(),
                reasons: Vec::new(),
            },
        };
        println!("{}", serde_json::to_string(&body).unwrap_or_default());
    } else {
        eprintln!("错误：{zh}\nerror: {en}");
    }
}
