//! Shard sets in the worker: the manifest, then each shard fetched (or taken from the browser's
//! Cache Storage, so a reload does not download it again), hash-checked and parsed.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response, WorkerGlobalScope};

use super::EngineError;
use super::fetch::{fetch_bytes, js_error};
use pinhole_compute::data::{
    CifarRecord, MAX_MANIFEST_BYTES, Manifest, RECORD_BYTES, ShardEntry, shard_url, verify_shard,
};

/// Cache Storage bucket for verified shards (bump the suffix if the entries' meaning changes).
const CACHE_NAME: &str = "pinhole-shards-v1";

/// A manifest and the URL its shard paths are relative to.
pub struct ShardSet {
    pub manifest: Manifest,
    /// The manifest's absolute URL, on the page's origin.
    manifest_url: String,
}

impl ShardSet {
    /// Reads the manifest at `url` (typed by a visitor, or the page's default), which must be on
    /// the page's own origin: the page never sends a request elsewhere.
    pub async fn open(url: &str) -> Result<Self, EngineError> {
        let manifest_url = same_origin(url, None)?;
        let bytes = fetch_bytes(&manifest_url, MAX_MANIFEST_BYTES).await?;
        let manifest = Manifest::parse(&bytes, url)?;
        Ok(ShardSet {
            manifest,
            manifest_url,
        })
    }

    /// The shard's URL: in the manifest's folder (the manifest's check allows nothing else),
    /// checked again after the browser's own URL resolution.
    pub fn url(&self, entry: &ShardEntry) -> Result<String, EngineError> {
        same_origin(
            &shard_url(&self.manifest_url, &entry.file),
            Some(&self.manifest_url),
        )
    }

    /// One shard's records, and whether they came from the browser's cache.
    pub async fn load(&self, entry: &ShardEntry) -> Result<(Vec<CifarRecord>, bool), EngineError> {
        let url = self.url(entry)?;
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
        // A shard is exactly its records: a longer body is not this shard.
        let bytes = fetch_bytes(&url, entry.records.saturating_mul(RECORD_BYTES)).await?;
        let records = verify_shard(entry, &bytes)?;
        if let Some(cache) = &cache {
            store(cache, &key, bytes).await;
        }
        Ok((records, false))
    }
}

/// `url` resolved against the worker's location, if it is on the page's origin (and, with
/// `folder_of`, inside that URL's folder); otherwise an error naming it.
fn same_origin(url: &str, folder_of: Option<&str>) -> Result<String, EngineError> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let here = scope.location();
    let refuse = |why: &str| EngineError::InvalidRequest(format!("{url}: {why}"));
    let resolved = web_sys::Url::new_with_base(url, &here.href())
        .map_err(|_| refuse("not a URL the page can read"))?;
    if resolved.origin() != here.origin() {
        return Err(refuse(
            "shard sets are read from this page's own site only (your data never leaves it)",
        ));
    }
    if let Some(base) = folder_of {
        let folder = &base[..base.rfind('/').map_or(0, |i| i + 1)];
        if !resolved.href().starts_with(folder) {
            return Err(refuse("the shard is outside its manifest's folder"));
        }
    }
    Ok(resolved.href())
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
