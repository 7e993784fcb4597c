//! Shard sets in the worker: the manifest, then each shard fetched (or taken from the browser's
//! Cache Storage, so a reload does not download it again), hash-checked and parsed.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response, WorkerGlobalScope};

use super::EngineError;
use super::fetch::{fetch_bytes, js_error};
use crate::data::{CifarRecord, Manifest, ShardEntry, verify_shard};

/// Cache Storage bucket for verified shards (bump the suffix if the entries' meaning changes).
const CACHE_NAME: &str = "pinhole-shards-v1";

/// A manifest and the URL its shard paths are relative to.
pub struct ShardSet {
    pub manifest: Manifest,
    base: String,
}

impl ShardSet {
    pub async fn open(url: &str) -> Result<Self, EngineError> {
        let bytes = fetch_bytes(url).await?;
        let manifest = Manifest::parse(&bytes, url)?;
        let base = match url.rfind('/') {
            Some(i) => url[..=i].to_string(),
            None => String::new(),
        };
        Ok(ShardSet { manifest, base })
    }

    pub fn url(&self, entry: &ShardEntry) -> String {
        format!("{}{}", self.base, entry.file)
    }

    /// One shard's records, and whether they came from the browser's cache.
    pub async fn load(&self, entry: &ShardEntry) -> Result<(Vec<CifarRecord>, bool), EngineError> {
        let url = self.url(entry);
        // The hash in the key: a changed shard at the same URL is never served stale.
        let key = format!("{url}#sha256={}", entry.sha256);
        let cache = open_cache().await;
        if let Some(cache) = &cache
            && let Some(bytes) = cached(cache, &key).await
        {
            match verify_shard(entry, &bytes) {
                Ok(records) => return Ok((records, true)),
                // A damaged cache entry: drop it and download again.
                Err(_) => _ = cache.delete_with_str(&key),
            }
        }
        let bytes = fetch_bytes(&url).await?;
        let records = verify_shard(entry, &bytes)?;
        if let Some(cache) = &cache {
            store(cache, &key, bytes).await;
        }
        Ok((records, false))
    }
}

async fn open_cache() -> Option<Cache> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    // No Cache Storage (e.g. an opaque origin): shards are simply downloaded each time.
    let caches = scope.caches().ok()?;
    let cache = JsFuture::from(caches.open(CACHE_NAME)).await.ok()?;
    cache.dyn_into().ok()
}

async fn cached(cache: &Cache, key: &str) -> Option<Vec<u8>> {
    let found = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    let response: Response = found.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

async fn store(cache: &Cache, key: &str, bytes: Vec<u8>) {
    let mut bytes = bytes;
    let result = match Response::new_with_opt_u8_array(Some(&mut bytes)) {
        Ok(response) => JsFuture::from(cache.put_with_str(key, &response))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        // Quota or privacy mode: training goes on, the next visit downloads again.
        web_sys::console::warn_1(&format!("shard not cached ({key}): {}", js_error(&e)).into());
    }
}
