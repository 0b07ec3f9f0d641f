//! Document capture and export as streams of chunks across the FFI.
//!
//! Owns only the exported objects; the vault does the work. The lock here guards the Rust
//! writer or reader and is never held while calling into Kotlin or Swift (these objects make no
//! foreign calls).

use crate::barrier::guard;
use crate::error::HuoshuiError;
use huoshui_core::app::views::DocumentView;
use huoshui_core::app::{AppCore, Capture, Export};
use std::sync::{Arc, Mutex, PoisonError};

fn finished() -> HuoshuiError {
    HuoshuiError::Conflict {
        message_zh: "这份证件已经保存或取消，请重新拍摄".to_owned(),
        message_en: "this capture was already finished or cancelled; start a new one".to_owned(),
    }
}

/// A document being captured: `write_chunk` as the bytes arrive, then `finish` (or `cancel`).
/// Nothing is left on disk unless `finish` succeeds.
#[derive(uniffi::Object)]
pub struct DocumentCapture {
    core: Arc<AppCore>,
    capture: Mutex<Option<Capture>>,
}

impl DocumentCapture {
    pub(crate) fn new(core: Arc<AppCore>, capture: Capture) -> Arc<DocumentCapture> {
        Arc::new(DocumentCapture {
            core,
            capture: Mutex::new(Some(capture)),
        })
    }
}

#[uniffi::export]
impl DocumentCapture {
    /// Encrypts the next chunk (any size; 64 KiB to 1 MiB is a good size).
    pub fn write_chunk(&self, chunk: Vec<u8>) -> Result<(), HuoshuiError> {
        guard(|| {
            let mut slot = self.capture.lock().unwrap_or_else(PoisonError::into_inner);
            let capture = slot.as_mut().ok_or_else(finished)?;
            let result = capture.write_chunk(&chunk);
            if result.is_err() {
                // A refused document leaves nothing behind.
                *slot = None;
            }
            Ok(result?)
        })
    }

    /// Seals the document and records it; returns what was stored.
    pub fn finish(&self) -> Result<DocumentView, HuoshuiError> {
        guard(|| {
            let capture = self
                .capture
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .ok_or_else(finished)?;
            Ok(self.core.finish_capture(capture)?)
        })
    }

    /// Abandons the capture; nothing is kept.
    pub fn cancel(&self) {
        crate::barrier::guard_infallible(
            || (),
            || {
                self.capture
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
            },
        );
    }
}

/// A document read back for upload: verified plaintext chunks, with its size and SHA-256.
#[derive(uniffi::Object)]
pub struct DocumentExport {
    export: Mutex<Export>,
    document: DocumentView,
}

impl DocumentExport {
    pub(crate) fn new(export: Export) -> Arc<DocumentExport> {
        let document = export.document().clone();
        Arc::new(DocumentExport {
            export: Mutex::new(export),
            document,
        })
    }
}

#[uniffi::export]
impl DocumentExport {
    /// What is being exported.
    pub fn document(&self) -> DocumentView {
        self.document.clone()
    }

    /// The next verified chunk of plaintext; `null`/`nil` at the end.
    pub fn next_chunk(&self) -> Result<Option<Vec<u8>>, HuoshuiError> {
        guard(|| {
            Ok(self
                .export
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .next_chunk()?)
        })
    }
}
