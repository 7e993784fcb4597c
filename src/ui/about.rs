//! About: the loaded model's card, what the model cannot do, and where the visitor's data goes
//! (nowhere).

use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::model_bar::thousands;
use pinhole_core::data::CLASS_NAMES;

#[component]
pub fn AboutPage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let percent = |a: Option<f64>| a.map(|a| format!("{:.2}%", 100.0 * a));
    view! {
        <section class="about" data-testid="about">
            <h2>"About Pinhole"</h2>
            <p>"Pinhole trains, runs and explains a small convolutional network for CIFAR-10 entirely in this \
                page: Burn runs the network on WebGPU when the browser has it, else on the CPU in WebAssembly."</p>
            <h3>"The loaded model"</h3>
            {move || engine.model.get().map(|info| {
                let card = info.card.clone();
                let row = |name: &'static str, value: Option<String>| value.map(|v| view! {
                    <tr><th>{name}</th><td>{v}</td></tr>
                });
                view! {
                    <table class="card" data-testid="model-card" data-preset=info.preset.name()
                        data-accuracy=card.test_accuracy.map(|a| a.to_string()).unwrap_or_default()>
                        {row("preset", Some(format!("{} ({} parameters)", info.preset, thousands(info.parameters))))}
                        {row("weights", Some(card.origin.clone()))}
                        {row("test accuracy", percent(card.test_accuracy).map(|a| match card.test_records {
                            Some(n) => format!("{a} on {} CIFAR-10 test records", thousands(n)),
                            None => a,
                        }))}
                        {row("with flip + translate TTA", percent(card.test_accuracy_tta))}
                        {row("data", card.data.clone())}
                        {row("epochs", card.epochs.map(|e| e.to_string()))}
                        {row("date", card.date.clone())}
                        {row("trained on", card.trained_on.clone())}
                        {row("command", card.command.clone())}
                        {row("notes", card.notes.clone())}
                    </table>
                    {(!card.recipe.is_empty()).then(|| view! {
                        <h4>"Recipe"</h4>
                        <table class="card" data-testid="model-recipe">
                            {card.recipe.iter().map(|(k, v)| view! {
                                <tr><th>{k.replace('_', " ")}</th><td>{v.clone()}</td></tr>
                            }).collect_view()}
                        </table>
                    })}
                }
            })}
            <h3>"Honest limits"</h3>
            <ul data-testid="limits">
                <li>"The network sees 32×32 pixels. Every image is centre-cropped to a square and shrunk to that \
                    size first (the classify page shows what the model saw): fine detail and small objects are lost."</li>
                <li>{format!("It knows ten classes only: {}. It has no \"none of these\" answer: a face, a cup or \
                    a screenshot still gets one of the ten, often with high confidence. Confidence is not proof.",
                    CLASS_NAMES.join(", "))}</li>
                <li>"CIFAR-10 photos are small, centred, and from the 2000s web. Photos unlike them (close-ups, \
                    unusual angles, drawings, night shots) are classified worse than the test accuracy suggests."</li>
                <li>"Saliency maps show what the score is sensitive to, not a proof of reasoning; different methods \
                    can disagree."</li>
                <li>"Training in a tab is much slower than on a GPU server: the CPU fallback manages tens of images \
                    per second. For the full recipe use the native " <code>"pinhole train"</code> " command."</li>
            </ul>
            <h3>"Privacy"</h3>
            <p data-testid="privacy">"Your images, camera frames and trained weights never leave this device. \
                The page is static files; it downloads only its own code, weights and CIFAR-10 shards from the \
                site it was opened from, and sends nothing anywhere. Training checkpoints and your classes are \
                kept in this browser's storage (IndexedDB); shards, and the page's own files for offline use, in \
                its cache. You can clear both."</p>
        </section>
    }
}
