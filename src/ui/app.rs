use leptos::prelude::*;

use super::about::AboutPage;
use super::backend_bar::BackendBar;
use super::benchmark::BenchmarkPanel;
use super::classify::ClassifyPage;
use super::engine_client::EngineClient;
use super::evaluate::EvaluatePage;
use super::explore::ExplorePage;
use super::inside::InsidePage;
use super::model_bar::ModelBar;
use super::offline::OfflineStatus;
use super::router::{Nav, Route, use_route};
use super::teach::TeachPage;
use super::train::{TrainForm, TrainPage};
use super::webcam::WebcamPanel;

#[component]
pub fn App() -> impl IntoView {
    let engine = EngineClient::start();
    provide_context(engine);
    // The training form outlives its page, so a visit elsewhere keeps what was typed.
    provide_context(TrainForm::new());
    let route = use_route();
    view! {
        <header class="top">
            <h1><img src="favicon.svg" alt="" width="28" height="28"/>"Pinhole" <small>"a CNN lab in your browser"</small></h1>
            <BackendBar/>
        </header>
        <Nav route/>
        <ModelBar/>
        {move || engine.busy.get().map(|message| view! { <p class="busy" data-testid="busy">{message}</p> })}
        {move || engine.error.get().map(|message| view! {
            <p class="error" role="alert" data-testid="engine-error">{message}</p>
        })}
        <main data-testid="page" data-page=move || route.get().slug()>
            {move || match route.get() {
                Route::Classify => view! { <ClassifyPage/><WebcamPanel/> }.into_any(),
                Route::Teach => view! { <TeachPage/> }.into_any(),
                Route::Train => view! { <TrainPage/> }.into_any(),
                Route::Evaluate => view! { <EvaluatePage/> }.into_any(),
                Route::Data => view! { <ExplorePage/> }.into_any(),
                Route::Inside => view! { <InsidePage/> }.into_any(),
                Route::Benchmark => view! { <BenchmarkPanel/> }.into_any(),
                Route::About => view! { <AboutPage/> }.into_any(),
            }}
        </main>
        <footer>
            "Everything runs on this device: your images never leave it. "
            <a href="#/about">"About Pinhole"</a>
            <OfflineStatus/>
        </footer>
    }
}
