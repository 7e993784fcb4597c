//! Saliency for an uploaded image: pick the method (gradient, SmoothGrad with its settings,
//! Grad-CAM) and the class; the map is shown over the image (opacity slider) and beside it.

use leptos::ev;
use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::heatmap::HeatmapCanvas;
use crate::ui_state::Explanation;
use pinhole_core::model::{
    SMOOTHGRAD_MAX_SAMPLES, SMOOTHGRAD_NOISE, SMOOTHGRAD_SAMPLES, SaliencyMethod,
};
use pinhole_core::protocol::Request;

/// The method and settings chosen in a panel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SaliencyChoice {
    pub key: RwSignal<String>,
    pub samples: RwSignal<usize>,
    /// σ in percent of the pixel range.
    pub noise_percent: RwSignal<f32>,
}

impl SaliencyChoice {
    pub fn new(key: &str) -> Self {
        SaliencyChoice {
            key: RwSignal::new(key.into()),
            samples: RwSignal::new(SMOOTHGRAD_SAMPLES),
            noise_percent: RwSignal::new(SMOOTHGRAD_NOISE * 100.0),
        }
    }

    /// The method as a request carries it (tracks the signals).
    pub fn method(&self) -> SaliencyMethod {
        match SaliencyMethod::from_key(&self.key.get()) {
            Some(SaliencyMethod::SmoothGrad { .. }) => SaliencyMethod::SmoothGrad {
                samples: self.samples.get(),
                noise: self.noise_percent.get() / 100.0,
            },
            Some(method) => method,
            None => SaliencyMethod::GradCam,
        }
    }
}

/// Method select plus SmoothGrad's copies and noise when it is chosen.
#[component]
pub fn SaliencyControls(choice: SaliencyChoice, #[prop(into)] testid: String) -> impl IntoView {
    let on_method = move |ev: ev::Event| choice.key.set(event_target_value(&ev));
    let smooth = move || choice.key.get() == "smoothgrad";
    view! {
        <label>"Method "
            <select data-testid=testid on:change=on_method prop:value=move || choice.key.get()>
                <option value="gradcam">"Grad-CAM"</option>
                <option value="gradient">"Gradient"</option>
                <option value="smoothgrad">"SmoothGrad"</option>
            </select>
        </label>
        <Show when=smooth>
            <label>"Copies "
                <input type="number" min="1" max=SMOOTHGRAD_MAX_SAMPLES.to_string()
                    prop:value=move || choice.samples.get().to_string()
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                            choice.samples.set(n.clamp(1, SMOOTHGRAD_MAX_SAMPLES));
                        }
                    }/>
            </label>
            <label>"Noise "
                <input type="range" min="0" max="50" step="1"
                    prop:value=move || choice.noise_percent.get().to_string()
                    on:change=move |ev| {
                        if let Ok(p) = event_target_value(&ev).parse::<f32>() {
                            choice.noise_percent.set(p);
                        }
                    }/>
                {move || format!(" {:.0}%", choice.noise_percent.get())}
            </label>
        </Show>
    }
}

/// An opacity slider (0–100%) bound to `opacity` (0–1).
#[component]
pub fn OpacitySlider(opacity: RwSignal<f64>, #[prop(into)] testid: String) -> impl IntoView {
    view! {
        <label>"Opacity "
            <input type="range" min="0" max="100" data-testid=testid
                prop:value=move || (opacity.get() * 100.0).round().to_string()
                on:input=move |ev| {
                    if let Ok(p) = event_target_value(&ev).parse::<f64>() {
                        opacity.set(p / 100.0);
                    }
                }/>
        </label>
    }
}

#[component]
pub fn ExplainPanel(
    id: u64,
    pixels: Vec<u8>,
    top_class: usize,
    input_url: Option<String>,
) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let open = RwSignal::new(false);
    let class = RwSignal::new(top_class);
    let choice = SaliencyChoice::new("gradcam");
    let opacity = RwSignal::new(0.7);
    let pixels = StoredValue::new(pixels);

    // Once opened, every change of method, settings or class asks for a new map.
    Effect::new(move || {
        if !open.get() {
            return;
        }
        let method = choice.method();
        let class = class.get();
        engine.classify.update(|view| view.explaining(id));
        let request = Request::Explain {
            pixels: pixels.get_value(),
            class: Some(class),
            method,
        };
        engine.send_as(engine.next_id(), request, Some(id));
    });

    let state = move || {
        engine
            .classify
            .with(|view| view.explanations.get(&id).cloned())
    };
    let values = Signal::derive(move || match state() {
        Some(Explanation::Done(heatmap)) => Some(heatmap.values),
        _ => None,
    });
    let status = move || match state() {
        None => "idle",
        Some(Explanation::Pending) => "pending",
        Some(Explanation::Done(_)) => "done",
        Some(Explanation::Failed(_)) => "failed",
    };
    let caption = move || match state() {
        Some(Explanation::Done(h)) => format!(
            "{} of “{}” in {:.0} ms",
            h.method.label(),
            engine.class_name(h.class),
            h.millis
        ),
        Some(Explanation::Pending) => "Computing…".into(),
        Some(Explanation::Failed(message)) => message,
        None => String::new(),
    };
    let image = move || {
        input_url
            .clone()
            .map(|src| view! { <img src=src alt="the 32×32 image the model saw"/> })
    };
    let image2 = image.clone();
    view! {
        <div class="explain" data-testid="explain" data-state=status>
            <Show when=move || !open.get()>
                <button data-testid="explain-button" on:click=move |_| open.set(true)>"Explain"</button>
            </Show>
            <Show when=move || open.get()>
                <div class="explain-controls">
                    <SaliencyControls choice testid="saliency-method"/>
                    <label>"Class "
                        <select data-testid="saliency-class"
                            prop:value=move || class.get().to_string()
                            on:change=move |ev| {
                                if let Ok(c) = event_target_value(&ev).parse() {
                                    class.set(c);
                                }
                            }>
                            {move || engine.class_names().into_iter().enumerate().map(|(i, name)| view! {
                                <option value=i.to_string()>{name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <OpacitySlider opacity testid="saliency-opacity"/>
                </div>
                <div class="saliency-views">
                    <figure class="stack">
                        {image.clone()}
                        <HeatmapCanvas values overlay=true testid="saliency-overlay"
                            style=Signal::derive(move || format!("opacity:{}", opacity.get()))/>
                        <figcaption>"over the image"</figcaption>
                    </figure>
                    <figure>{image2.clone()}<figcaption>"input"</figcaption></figure>
                    <figure>
                        <HeatmapCanvas values overlay=false testid="saliency-map"/>
                        <figcaption>"map"</figcaption>
                    </figure>
                </div>
                <p class="caption" class:error=move || status() == "failed"
                    data-testid="saliency-caption">{caption}</p>
            </Show>
        </div>
    }
}
