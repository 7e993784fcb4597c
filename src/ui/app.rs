use leptos::prelude::*;

use super::backend_bar::BackendBar;
use super::benchmark::BenchmarkPanel;
use super::classify::ClassifyPage;
use super::engine_client::EngineClient;
use super::model_bar::ModelBar;
use super::train::TrainPage;
use super::webcam::WebcamPanel;

#[component]
pub fn App() -> impl IntoView {
    let engine = EngineClient::start();
    provide_context(engine);
    view! {
        <header class="top">
            <h1>"Pinhole" <small>" a CNN lab in your browser"</small></h1>
            <BackendBar/>
        </header>
        <ModelBar/>
        {move || engine.busy.get().map(|message| view! { <p class="busy" data-testid="busy">{message}</p> })}
        {move || engine.error.get().map(|message| view! {
            <p class="error" role="alert" data-testid="engine-error">{message}</p>
        })}
        <main>
            <ClassifyPage/>
            <WebcamPanel/>
            <TrainPage/>
            <BenchmarkPanel/>
        </main>
        <footer>
            "Everything runs on this device: your images never leave it."
        </footer>
    }
}
