//! Which model is loaded, whether it is trained, and the preset choice.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use pinhole_core::model::Preset;
use pinhole_core::protocol::Request;

#[component]
pub fn ModelBar() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    view! {
        <section class="model" data-testid="model">
            {move || match engine.model.get() {
                None => view! { <span>"Loading the model…"</span> }.into_any(),
                Some(info) => {
                    let trained = info.weights_file.is_some();
                    let accuracy = info.card.test_accuracy
                        .map(|a| format!(", {:.1}% test accuracy", a * 100.0))
                        .unwrap_or_default();
                    let options = info.shipped.clone();
                    let current = info.preset;
                    let own = !info.is_cifar();
                    let back_to_cifar = move || {
                        engine.teach_change(|view| vec![view.set_in_use(false)]);
                        engine.send(Request::SelectModel { preset: current });
                    };
                    view! {
                        <span data-testid="model-preset" data-trained=trained.to_string() data-preset=current.name()
                            data-parameters=info.parameters.to_string() data-own=own.to_string()
                            data-classes=info.classes.join(",")
                            data-weights=info.weights_file.clone().unwrap_or_default()>
                            {if own {
                                format!("Model: your classes ({}) on {}", info.classes.join(", "), info.preset)
                            } else {
                                format!("Model: {} ({} parameters{accuracy})", info.preset, thousands(info.parameters))
                            }}
                            {info.weights_file.clone().filter(|_| !own).map(|f| format!(" · weights: {f}"))}
                        </span>
                        {own.then(|| view! {
                            <button data-testid="use-cifar" on:click=move |_| back_to_cifar()>"Back to CIFAR-10"</button>
                        })}
                        {(options.len() > 1).then(|| view! {
                            <select data-testid="preset-select" aria-label="Shipped model" on:change=move |ev| {
                                if let Ok(preset) = event_target_value(&ev).parse::<Preset>() {
                                    engine.teach_change(|view| vec![view.set_in_use(false)]);
                                    engine.send(Request::SelectModel { preset });
                                }
                            }>
                                {options.into_iter().map(|p| view! {
                                    <option value=p.name() selected=p == current>{p.name()}</option>
                                }).collect_view()}
                            </select>
                        })}
                        {match (trained, info.notice.clone()) {
                            (_, Some(notice)) => Some(view! {
                                <p class="notice" role="note" data-testid="untrained-notice">{notice}</p>
                            }.into_any()),
                            (false, None) => Some(view! {
                                <p class="notice" role="note" data-testid="untrained-notice">
                                    "This model is untrained: no weights ship with this build yet, so its \
                                     predictions are random guesses."
                                </p>
                            }.into_any()),
                            (true, None) => None,
                        }}
                    }.into_any()
                }
            }}
        </section>
    }
}

/// 570936 → "570,936".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
