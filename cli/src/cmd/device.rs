//! The terminal as one more phone: opens the app core's facade (`huoshui_core::app::AppCore`)
//! over the data folder, with the software keystore and the platform address, and the tokio
//! runtime its network calls run on.
//!
//! Owns where the data folder is and how the terminal's commands reach the core. Every device
//! command goes through the facade; this module must never open the store or the vault itself.
//!
//! The data folder is `--data-dir` / `HUOSHUI_DATA_DIR`, else the user's data folder
//! (`dirs::data_dir()/huoshui`, e.g. `~/.local/share/huoshui` on Linux). The terminal uses the
//! core's `SoftwareKeystore` (its key file lies in `<data>/keys/`); the phone apps use the
//! platform keystores instead.

use super::Context;
use crate::error::CliError;
use huoshui_core::app::AppCore;
use huoshui_core::vault::SoftwareKeystore;
use serde::Serialize;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

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

/// How the core is opened: `AppCore::open` or `AppCore::reset_lost_key`.
type Opener = fn(
    &std::path::Path,
    Option<&str>,
    Arc<dyn huoshui_core::vault::Keystore>,
) -> Result<Arc<AppCore>, huoshui_core::app::AppError>;

/// The opened app core and the runtime its async calls run on.
pub struct Device {
    pub core: Arc<AppCore>,
    runtime: tokio::runtime::Runtime,
    /// Whether a platform address was given (`--server` / `HUOSHUI_SERVER`).
    pub has_server: bool,
}

impl Device {
    /// Opens the core of the data folder as a client of the platform given on the command line.
    ///
    /// The core's own calls (`submit`, `record_contact` …) are made outside the runtime, so it
    /// starts no background sync of its own: a command sends only where it says it does, with
    /// an explicit [`Device::block_on`] of `sync_now`.
    pub fn open(ctx: &Context) -> Result<Device, CliError> {
        Device::open_with(ctx, AppCore::open)
    }

    /// Replaces the lost encryption key of the data folder and opens the core
    /// (`AppCore::reset_lost_key`; refused when the key works).
    pub fn reset_lost_key(ctx: &Context) -> Result<Device, CliError> {
        Device::open_with(ctx, AppCore::reset_lost_key)
    }

    fn open_with(ctx: &Context, opener: Opener) -> Result<Device, CliError> {
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
                .map_err(|e| CliError::from(huoshui_core::app::documents::vault_error(&e)))?;
        let server = ctx
            .server
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let core = opener(&dir, server, Arc::new(keystore)).map_err(|e| {
            let lost = e.action == huoshui_core::app::ErrorAction::KeyUnavailable;
            let mut err = CliError::from(e);
            if lost {
                err.zh.push_str("。在终端上重置：huoshui doc reset");
                err.en
                    .push_str("; to reset from the terminal: huoshui doc reset");
            }
            err
        })?;
        if let Some(aside) = core.moved_aside() {
            eprintln!(
                "注意：本地数据库已损坏，已移到 {} / note: the local database was damaged and moved to {}",
                aside.display(),
                aside.display()
            );
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                CliError::failed(
                    "internal",
                    format!("无法启动网络运行时：{e}"),
                    format!("cannot start the network runtime: {e}"),
                )
            })?;
        Ok(Device {
            core,
            runtime,
            has_server: server.is_some(),
        })
    }

    /// Runs one of the core's async calls (sign-in, sync) to its end.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Refuses a command that needs the platform when no address was given.
    pub fn need_server(&self) -> Result<(), CliError> {
        if self.has_server {
            Ok(())
        } else {
            Err(no_server())
        }
    }
}

/// No platform address was given.
pub fn no_server() -> CliError {
    CliError::input(
        "没有设置平台地址：请用 --server URL 或环境变量 HUOSHUI_SERVER 指定",
        "no platform address: give one with --server URL or HUOSHUI_SERVER",
    )
}

/// The stable code of a typed value as it travels on the wire (`villager`, `under_review`,
/// `call` …); the text itself when the value is already a code.
pub fn code_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Finds the application an id names: the whole id, or any unique part of it of at least 8
/// characters (ids begin with their creation time, so the end tells them apart best).
pub fn resolve_application(device: &Device, text: &str) -> Result<String, CliError> {
    let text = text.trim().to_ascii_lowercase();
    let apps = device.core.applications()?;
    if let Some(a) = apps.iter().find(|a| a.id == text) {
        return Ok(a.id.clone());
    }
    if text.len() >= 8 {
        let found: Vec<&str> = apps
            .iter()
            .filter(|a| a.id.contains(&text))
            .map(|a| a.id.as_str())
            .collect();
        match found.as_slice() {
            [one] => return Ok((*one).to_owned()),
            [] => {}
            _ => {
                return Err(CliError::input(
                    format!("编号 {text} 对应多个申请，请写完整编号"),
                    format!("{text} matches several applications: give the whole id"),
                ));
            }
        }
    }
    Err(CliError::input(
        format!("这台设备上没有申请 {text}：请先运行 huoshui sync，或用 huoshui status 查看编号"),
        format!(
            "no application {text} on this device: run huoshui sync first, or see the ids with huoshui status"
        ),
    ))
}
