//! IndexedDB through the `idb` crate (futures instead of callbacks).

use idb::event::DatabaseEvent;
use idb::{Database, Factory, ObjectStoreParams};

/// Opens (at version 1, creating it on first use) the database `name` with its one object store
/// `store`. The error is a sentence for the page: no IndexedDB (some private windows), or a
/// refusal (storage blocked for the site).
pub async fn open_database(name: &str, store: &str) -> Result<Database, String> {
    let factory = Factory::new().map_err(|e| format!("this browser has no IndexedDB ({e})"))?;
    let mut request = factory
        .open(name, Some(1))
        .map_err(|e| format!("IndexedDB could not open ({e})"))?;
    let store = store.to_string();
    request.on_upgrade_needed(move |event| {
        if let Ok(database) = event.database() {
            let _ = database.create_object_store(&store, ObjectStoreParams::new());
        }
    });
    request
        .await
        .map_err(|e| format!("IndexedDB could not open ({e})"))
}
