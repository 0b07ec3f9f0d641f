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
    if ctx.json {
        let v = serde_json::json!({"error": {"code": err.code, "message_zh": err.zh, "message_en": err.en}});
        println!("{v}");
    } else {
        eprintln!("错误：{}\nerror: {}", err.zh, err.en);
    }
}
