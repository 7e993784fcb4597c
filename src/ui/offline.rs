//! Offline and updates: registers the service worker (`sw.js`, written by `scripts/pwa.py`), says
//! when the page works offline, and offers a reload when a new deploy has been installed beside
//! the running one. The running build never mixes with the new one: each build's files carry its
//! version in their names, and the old service worker serves the old build until the reload.

use super::engine_client::EngineClient;
use super::page_url::build_version;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RegistrationOptions, ServiceWorkerRegistration, ServiceWorkerUpdateViaCache};

/// How often a long-open page asks the server whether a new build exists (the browser also asks
/// at every visit).
const UPDATE_CHECK_MS: i32 = 30 * 60 * 1000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    /// No service worker (unsupported, a private window, a build without the hook).
    Online,
    /// This build's files are kept: the page opens and works with no network.
    Offline,
    /// A newer build is installed and waits for a reload.
    UpdateReady,
}

/// The footer's line about offline use, and the update notice.
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let status = RwSignal::new(Status::Online);
    let registration = StoredValue::new_local(None::<ServiceWorkerRegistration>);
    // Set by the notice's button: only then does a change of worker reload the page (the first
    // visit's worker also takes control, and that must not reload it).
    let reload_asked = StoredValue::new(false);
    if build_version().is_some() {
        // Once the engine has its model: on a first visit the worker's install downloads the
        // whole build, which must not compete with the page's own first download.
        let engine = expect_context::<EngineClient>();
        let registering = StoredValue::new(false);
        Effect::new(move |_| {
            if engine.model.with(Option::is_some) && !registering.get_value() {
                registering.set_value(true);
                wasm_bindgen_futures::spawn_local(register(status, registration, reload_asked));
            }
        });
    }
    let reload = move |_| {
        let Some(waiting) = registration.get_value().and_then(|r| r.waiting()) else {
            reload_page();
            return;
        };
        // The new worker takes over; `controllerchange` (set up in `register`) reloads the page.
        reload_asked.set_value(true);
        let _ = waiting.post_message(&"skip-waiting".into());
    };
    view! {
        {move || (status.get() == Status::UpdateReady).then(|| view! {
            <div class="update" role="status" data-testid="update-ready">
                <p>"A new version of Pinhole is ready. Reloading keeps your trained weights, \
                    checkpoints and classes."</p>
                <button class="primary" data-testid="update-reload" on:click=reload>"Reload"</button>
            </div>
        })}
        <span class="offline-status" data-testid="offline-status"
            data-state=move || match status.get() {
                Status::Online => "online",
                Status::Offline => "offline-ready",
                Status::UpdateReady => "update-ready",
            }>
            {move || match status.get() {
                Status::Online => "",
                Status::Offline | Status::UpdateReady => " Works offline.",
            }}
        </span>
    }
}

async fn register(
    status: RwSignal<Status>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
    reload_asked: StoredValue<bool>,
) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    // `serviceWorker` is missing on insecure origins and in some private windows.
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let container = navigator.service_worker();
    let options = RegistrationOptions::new();
    // The browser asks the server for sw.js itself each time, never its HTTP cache.
    options.set_update_via_cache(ServiceWorkerUpdateViaCache::None);
    let registered =
        match JsFuture::from(container.register_with_options("./sw.js", &options)).await {
            Ok(value) => value.unchecked_into::<ServiceWorkerRegistration>(),
            Err(e) => {
                web_sys::console::warn_2(&"the service worker did not register".into(), &e);
                return;
            }
        };
    registration.set_value(Some(registered.clone()));
    let on_change = Closure::<dyn FnMut()>::new(move || {
        if reload_asked.get_value() {
            reload_page();
        }
    });
    container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();

    let refresh = {
        let registered = registered.clone();
        move || {
            // A worker waits only while another is active: that is a new build (the first
            // visit's worker activates at once).
            let next = if registered.waiting().is_some() {
                Status::UpdateReady
            } else if registered.active().is_some() {
                Status::Offline
            } else {
                Status::Online
            };
            status.set(next);
        }
    };
    refresh();
    // A worker's state changes (installing → installed → activated) and new builds found.
    let watch = {
        let registered = registered.clone();
        let refresh = refresh.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(installing) = registered.installing() {
                let refresh = refresh.clone();
                let on_state = Closure::<dyn FnMut()>::new(refresh);
                installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
                on_state.forget();
            }
            refresh();
        })
    };
    registered.set_onupdatefound(Some(watch.as_ref().unchecked_ref()));
    if let Some(installing) = registered.installing() {
        installing.set_onstatechange(Some(watch.as_ref().unchecked_ref()));
    }
    watch.forget();
    let check = Closure::<dyn FnMut()>::new(move || {
        if let Ok(promise) = registered.update() {
            // A failed check (offline) is retried at the next interval.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(promise).await;
            });
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        check.as_ref().unchecked_ref(),
        UPDATE_CHECK_MS,
    );
    check.forget();
}

fn reload_page() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}
