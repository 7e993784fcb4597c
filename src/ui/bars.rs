//! Ranked classes as probability bars (upload cards and the live webcam readout).

use leptos::prelude::*;

use pinhole_core::model::Prediction;

/// One `<li>` per class: name, a bar as wide as its probability, and the percentage with
/// `decimals` digits.
pub fn bar_rows(top: Vec<Prediction>, decimals: usize) -> impl IntoView {
    top.into_iter()
        .map(|p| {
            let percent = p.probability * 100.0;
            view! {
                <li>
                    <span class="label">{p.class_name}</span>
                    <span class="bar"><span style=format!("width:{percent:.1}%")></span></span>
                    <span class="pct">{format!("{percent:.decimals$}%")}</span>
                </li>
            }
        })
        .collect_view()
}
