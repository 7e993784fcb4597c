//! The Teach project in IndexedDB (database `pinhole-teach`): its description under `meta`, each
//! sample under `sample:ID`, the head's weights under `head`. Kept by the page, not the engine,
//! so an engine that stops takes nothing along. One connection, opened once: writes are queued
//! in the order the page makes changes (IndexedDB runs a connection's read-write transactions
//! in the order they were created).

use std::cell::RefCell;

use idb::{Database, TransactionMode, TransactionResult};
use js_sys::Uint8Array;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::json::{from_json, to_json};
use crate::ui_state::{Persist, StoredMeta, TeachView};

const DATABASE: &str = "pinhole-teach";
const STORE: &str = "project";
const META: &str = "meta";
const HEAD: &str = "head";

thread_local! {
    static DB: RefCell<Option<Database>> = const { RefCell::new(None) };
}

fn sample_key(id: u64) -> JsValue {
    JsValue::from_str(&format!("sample:{id}"))
}

async fn open() -> Result<Database, String> {
    pinhole_web::open_database(DATABASE, STORE).await
}

/// The stored project (`None`: there is none yet) and how many of its samples were missing.
pub async fn load() -> Result<Option<(TeachView, usize)>, String> {
    let database = open().await?;
    let failed = |e: idb::Error| format!("your project could not be read ({e})");
    let transaction = database
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(failed)?;
    let store = transaction.object_store(STORE).map_err(failed)?;
    let get = |key: JsValue| store.get(key);
    let meta = get(JsValue::from_str(META))
        .map_err(failed)?
        .await
        .map_err(failed)?;
    let Some(meta) = meta.and_then(|m| m.as_string()) else {
        DB.with(|db| *db.borrow_mut() = Some(database));
        return Ok(None);
    };
    let meta: StoredMeta =
        from_json(&meta).map_err(|e| format!("your saved project could not be read ({e})"))?;
    let mut samples = std::collections::HashMap::new();
    for id in meta.classes.iter().flat_map(|c| c.samples.iter().copied()) {
        if let Some(bytes) = get(sample_key(id)).map_err(failed)?.await.map_err(failed)? {
            samples.insert(id, Uint8Array::new(&bytes).to_vec());
        }
    }
    let head = get(JsValue::from_str(HEAD))
        .map_err(failed)?
        .await
        .map_err(failed)?
        .map(|bytes| Uint8Array::new(&bytes).to_vec());
    DB.with(|db| *db.borrow_mut() = Some(database));
    Ok(Some(TeachView::restore(
        meta,
        |id| samples.remove(&id),
        head,
    )))
}

/// Writes the changes, in order, in one transaction; `on_error` hears why if the browser
/// refuses (the view keeps the change either way: the visitor can export the project).
pub fn persist(view: &TeachView, changes: Vec<Persist>, on_error: impl Fn(String) + 'static) {
    if changes.is_empty() {
        return;
    }
    let meta = changes
        .contains(&Persist::Meta)
        .then(|| to_json(&view.meta(), false).unwrap_or_default());
    let written = DB.with(|db| {
        let db = db.borrow();
        let Some(database) = db.as_ref() else {
            return Err("your project's storage is not open".to_string());
        };
        let failed = |e: idb::Error| format!("{e}");
        let transaction = database
            .transaction(&[STORE], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let store = transaction.object_store(STORE).map_err(failed)?;
        let bytes = |b: &[u8]| JsValue::from(Uint8Array::from(b));
        for change in &changes {
            match change {
                Persist::Meta => {}
                Persist::Sample(id, rgb) => {
                    store
                        .put(&bytes(rgb), Some(&sample_key(*id)))
                        .map_err(failed)?;
                }
                Persist::Samples(list) => {
                    for (id, rgb) in list {
                        store
                            .put(&bytes(rgb), Some(&sample_key(*id)))
                            .map_err(failed)?;
                    }
                }
                Persist::Delete(ids) => {
                    for id in ids {
                        store.delete(sample_key(*id)).map_err(failed)?;
                    }
                }
                Persist::Head(weights) => {
                    store
                        .put(&bytes(weights), Some(&JsValue::from_str(HEAD)))
                        .map_err(failed)?;
                }
            }
        }
        if let Some(meta) = &meta {
            store
                .put(&JsValue::from_str(meta), Some(&JsValue::from_str(META)))
                .map_err(failed)?;
        }
        Ok(transaction)
    });
    match written {
        Ok(transaction) => spawn_local(async move {
            let result = match transaction.commit() {
                Ok(done) => done.await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(TransactionResult::Committed) => {}
                Ok(TransactionResult::Aborted) => on_error(
                    "The browser refused to save your project (this site's storage is full or blocked). Export it to keep it.".into(),
                ),
                Err(e) => on_error(format!("Your project could not be saved ({e}). Export it to keep it.")),
            }
        }),
        Err(e) => on_error(format!(
            "Your project could not be saved ({e}). Export it to keep it."
        )),
    }
}

/// Asks the browser to keep this site's storage under pressure; the answer in words.
pub async fn request_persistence() -> Option<String> {
    let navigator = web_sys::window()?.navigator();
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok()?;
    let persist = js_sys::Reflect::get(&storage, &"persist".into()).ok()?;
    let persist: js_sys::Function = wasm_bindgen::JsCast::dyn_into(persist).ok()?;
    let promise: js_sys::Promise =
        wasm_bindgen::JsCast::dyn_into(persist.call0(&storage).ok()?).ok()?;
    let granted = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    Some(match granted.as_bool() {
        Some(true) => "Saved in this browser (persistent storage granted).".into(),
        _ => "Saved in this browser, but it refused persistent storage: it may clear the project when space runs low. Export the project to keep a copy.".into(),
    })
}
