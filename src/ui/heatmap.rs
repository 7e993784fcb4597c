//! Drawing on small canvases: saliency maps through a colour map, and raw RGBA images.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use pinhole_core::data::IMAGE_SIDE;
use pinhole_core::vision::heatmap_rgba;

/// Puts interleaved RGBA pixels on a canvas (sized to them); `None` clears it.
pub fn put_rgba(canvas: &HtmlCanvasElement, rgba: Option<&[u8]>, width: u32, height: u32) {
    let Some(context) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    match rgba {
        Some(rgba) if rgba.len() == (width * height * 4) as usize => {
            if canvas.width() != width || canvas.height() != height {
                canvas.set_width(width);
                canvas.set_height(height);
            }
            if let Ok(image) =
                ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
            {
                let _ = context.put_image_data(&image, 0.0, 0.0);
            }
        }
        _ => context.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64),
    }
}

/// A saliency map on a 32×32 canvas (scaled up by CSS). `data-mean` and `data-spread` (the
/// standard deviation, 0–255) say how much structure the map has.
#[component]
pub fn HeatmapCanvas(
    #[prop(into)] values: Signal<Option<Vec<u8>>>,
    overlay: bool,
    #[prop(into)] testid: String,
    #[prop(optional, into)] style: Signal<String>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        let values = values.get();
        if let Some(canvas) = canvas.get() {
            let rgba = values.as_deref().map(|v| heatmap_rgba(v, overlay));
            let side = IMAGE_SIDE as u32;
            put_rgba(&canvas, rgba.as_deref(), side, side);
        }
    });
    let stats = Memo::new(move |_| values.with(|v| v.as_deref().map(mean_and_spread)));
    view! {
        <canvas node_ref=canvas width="32" height="32" class="heatmap" class:overlay=overlay
            style=move || style.get() role="img"
            aria-label="saliency map: brighter where the class score is more sensitive to the pixel"
            data-testid=testid
            data-mean=move || stats.get().map(|(m, _)| format!("{m:.1}"))
            data-spread=move || stats.get().map(|(_, s)| format!("{s:.1}"))/>
    }
}

fn mean_and_spread(values: &[u8]) -> (f32, f32) {
    let n = values.len().max(1) as f32;
    let mean = values.iter().map(|&v| v as f32).sum::<f32>() / n;
    let var = values
        .iter()
        .map(|&v| (v as f32 - mean).powi(2))
        .sum::<f32>()
        / n;
    (mean, var.sqrt())
}
