//! The latest training checkpoint in IndexedDB: a summary (what the page shows and what resuming
//! needs) and the checkpoint bytes, in one record, so one never outlives the other.

use idb::{Database, ObjectStore, Transaction, TransactionMode, TransactionResult};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

use super::EngineError;
use super::fetch::js_error;
use pinhole_core::protocol::CheckpointSummary;

const DATABASE: &str = "pinhole";
const STORE: &str = "checkpoints";
const KEY: &str = "latest";

async fn open() -> Result<Database, String> {
    pinhole_web::open_database(DATABASE, STORE).await
}

/// The checkpoints store in a new transaction; errors say what could not be `done`.
async fn open_store(
    mode: TransactionMode,
    done: &str,
) -> Result<(Database, Transaction, ObjectStore), String> {
    let database = open().await?;
    let failed = |e: idb::Error| format!("the checkpoint could not be {done} ({e})");
    let transaction = database.transaction(&[STORE], mode).map_err(failed)?;
    let store = transaction.object_store(STORE).map_err(failed)?;
    Ok((database, transaction, store))
}

/// Replaces the saved run.
pub async fn save(summary: &CheckpointSummary, bytes: &[u8]) -> Result<(), EngineError> {
    save_record(summary, bytes)
        .await
        .map_err(EngineError::Storage)
}

/// The saved run, if any. A record this version cannot read counts as none (and says why in
/// the console) rather than blocking the page.
pub async fn load() -> Result<Option<(CheckpointSummary, Vec<u8>)>, EngineError> {
    load_record().await.map_err(EngineError::Storage)
}

pub async fn discard() -> Result<(), EngineError> {
    discard_record().await.map_err(EngineError::Storage)
}

async fn save_record(summary: &CheckpointSummary, bytes: &[u8]) -> Result<(), String> {
    let record = Object::new();
    let summary = serde_wasm_bindgen::to_value(summary).map_err(|e| e.to_string())?;
    let set = |key: &str, value: &JsValue| {
        Reflect::set(&record, &key.into(), value).map_err(|e| js_error(&e))
    };
    set("summary", &summary)?;
    set("bytes", &Uint8Array::from(bytes).into())?;
    let (database, transaction, store) =
        open_store(TransactionMode::ReadWrite, "saved in IndexedDB").await?;
    let failed = |e: idb::Error| format!("the checkpoint could not be saved in IndexedDB ({e})");
    store
        .put(&record, Some(&JsValue::from_str(KEY)))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let result = transaction
        .commit()
        .map_err(failed)?
        .await
        .map_err(failed)?;
    database.close();
    committed(result, "the write to IndexedDB")
}

/// An aborted transaction is not an error to `idb` (the quota refusal arrives as an abort):
/// it is one here, so that a notice never says a checkpoint is kept when it is not.
fn committed(result: TransactionResult, what: &str) -> Result<(), String> {
    match result {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(format!(
            "the browser refused {what} (this site's storage is full or blocked)"
        )),
    }
}

async fn load_record() -> Result<Option<(CheckpointSummary, Vec<u8>)>, String> {
    let (database, _transaction, store) =
        open_store(TransactionMode::ReadOnly, "read from IndexedDB").await?;
    let failed = |e: idb::Error| format!("the checkpoint could not be read from IndexedDB ({e})");
    let record = store
        .get(JsValue::from_str(KEY))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    database.close();
    let Some(record) = record else {
        return Ok(None);
    };
    let summary = Reflect::get(&record, &"summary".into()).map_err(|e| js_error(&e))?;
    let bytes = Reflect::get(&record, &"bytes".into()).map_err(|e| js_error(&e))?;
    match serde_wasm_bindgen::from_value::<CheckpointSummary>(summary) {
        Ok(summary) => Ok(Some((summary, Uint8Array::new(&bytes).to_vec()))),
        Err(e) => {
            web_sys::console::warn_1(&format!("ignoring an unreadable saved run: {e}").into());
            Ok(None)
        }
    }
}

async fn discard_record() -> Result<(), String> {
    let (database, transaction, store) = open_store(TransactionMode::ReadWrite, "deleted").await?;
    let failed = |e: idb::Error| format!("the checkpoint could not be deleted ({e})");
    store
        .delete(JsValue::from_str(KEY))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let result = transaction
        .commit()
        .map_err(failed)?
        .await
        .map_err(failed)?;
    database.close();
    committed(result, "the deletion from IndexedDB")
}
