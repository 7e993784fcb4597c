//! Pages by URL fragment (`#/evaluate`). A fragment never reaches the server, so every page's
//! link works from any static host and any sub-path (e.g. `/pinhole/#/inside`), reloads
//! included, with no rewrite rules; the query (`?backend=cpu`) is kept.

use leptos::ev;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Classify,
    Teach,
    Train,
    Evaluate,
    Data,
    Inside,
    Benchmark,
    About,
}

impl Route {
    pub const ALL: [Route; 8] = [
        Route::Classify,
        Route::Teach,
        Route::Train,
        Route::Evaluate,
        Route::Data,
        Route::Inside,
        Route::Benchmark,
        Route::About,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Route::Classify => "classify",
            Route::Teach => "teach",
            Route::Train => "train",
            Route::Evaluate => "evaluate",
            Route::Data => "data",
            Route::Inside => "inside",
            Route::Benchmark => "benchmark",
            Route::About => "about",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Route::Classify => "Classify",
            Route::Teach => "Teach",
            Route::Train => "Train",
            Route::Evaluate => "Evaluate",
            Route::Data => "Explore data",
            Route::Inside => "Inside the CNN",
            Route::Benchmark => "Speed",
            Route::About => "About",
        }
    }

    /// `#/train` → Train; anything else is the home page (Classify).
    fn from_hash(hash: &str) -> Route {
        let slug = hash.trim_start_matches('#').trim_start_matches('/');
        Route::ALL
            .into_iter()
            .find(|r| r.slug() == slug)
            .unwrap_or(Route::Classify)
    }
}

fn current() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::from_hash(&hash)
}

/// The page the URL names, following back/forward and link clicks.
pub fn use_route() -> ReadSignal<Route> {
    let (route, set_route) = signal(current());
    let listener = window_event_listener(ev::hashchange, move |_| set_route.set(current()));
    on_cleanup(move || listener.remove());
    route
}

#[component]
pub fn Nav(route: ReadSignal<Route>) -> impl IntoView {
    view! {
        <nav class="pages" aria-label="Pages">
            {Route::ALL.into_iter().map(|r| view! {
                <a href=format!("#/{}", r.slug()) data-testid=format!("nav-{}", r.slug())
                    class:active=move || route.get() == r
                    aria-current=move || (route.get() == r).then_some("page")>
                    {r.title()}
                </a>
            }).collect_view()}
        </nav>
    }
}
