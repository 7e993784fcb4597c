//! Inside the CNN: the loaded network as a table (layer, output shape, parameters) read from the
//! model itself, each layer's feature maps for an image, the first layer's filters, and short
//! explanations of the building blocks.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::insight_state::InsightStatus;
use super::model_bar::thousands;
use crate::ui_state::{ImageStatus, layer_groups};
use pinhole_core::data::Split;
use pinhole_core::model::Preset;
use pinhole_core::protocol::{DEFAULT_MANIFEST, InspectImage, LayerView, RecordSet, Request};

/// Which image goes through the network.
#[derive(Clone, Debug, PartialEq)]
enum Choice {
    /// A test record by index.
    Record(usize),
    /// An uploaded image (its result id).
    Upload(u64),
}

#[component]
pub fn InsidePage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let state = engine.insight.anatomy;
    // The latest upload if there is one, else the first test record.
    let latest_upload = engine.classify.with_untracked(|view| {
        view.results
            .iter()
            .rev()
            .find(|r| matches!(r.status, ImageStatus::Done { .. }))
            .map(|r| r.id)
    });
    let choice = RwSignal::new(latest_upload.map_or(Choice::Record(0), Choice::Upload));
    let inspect = move |choice: Choice| {
        let image = match choice {
            Choice::Record(index) => InspectImage::Record {
                set: RecordSet {
                    manifest: DEFAULT_MANIFEST.into(),
                    split: Split::Test,
                },
                index,
            },
            Choice::Upload(id) => {
                let upload = engine.classify.with_untracked(|view| {
                    view.results
                        .iter()
                        .find(|r| r.id == id)
                        .and_then(|r| match &r.status {
                            ImageStatus::Done { pixels, .. } => {
                                Some((r.name.clone(), pixels.clone()))
                            }
                            _ => None,
                        })
                });
                match upload {
                    Some((name, pixels)) => InspectImage::Pixels { name, pixels },
                    None => return,
                }
            }
        };
        state.update(|s| s.start("Running the image through the network…"));
        engine.send(Request::Inspect { image });
    };
    // Again whenever the image or the model changes.
    Effect::new(move |_| {
        let choice = choice.get();
        // Requests sent before the engine has a model would be refused.
        if engine.model.with(Option::is_some) {
            inspect(choice);
        }
    });
    let uploads = move || {
        engine.classify.with(|view| {
            view.results
                .iter()
                .filter(|r| matches!(r.status, ImageStatus::Done { .. }))
                .map(|r| (r.id, r.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="inside" data-testid="inside">
            <h2>"Inside the CNN"</h2>
            <div class="controls">
                <label>"Image: test record " <input type="number" min="0" max="9999" data-testid="inspect-record"
                    prop:value=move || match choice.get() { Choice::Record(i) => i.to_string(), Choice::Upload(_) => String::new() }
                    on:change=move |ev| if let Ok(i) = event_target_value(&ev).parse() { choice.set(Choice::Record(i)) }/></label>
                {move || {
                    let uploads = uploads();
                    (!uploads.is_empty()).then(|| view! {
                        <label>" or an uploaded image " <select data-testid="inspect-upload" on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse() { choice.set(Choice::Upload(id)) }
                        }>
                            <option value="" selected=move || !matches!(choice.get(), Choice::Upload(_))>"–"</option>
                            {uploads.into_iter().map(|(id, name)| view! {
                                <option value=id.to_string() selected=move || choice.get() == Choice::Upload(id)>{name}</option>
                            }).collect_view()}
                        </select></label>
                    })
                }}
            </div>
            <InsightStatus state testid="inspect"/>
            {move || state.with(|s| s.result.clone()).map(|view| {
                let a = view.anatomy;
                let [fh, fw] = a.filter_size;
                view! {
                    <div class="inspected">
                        <figure>
                            <img class="input32" src=view.image_url alt="the input" width="96" height="96"/>
                            <figcaption data-testid="inspect-prediction" data-class=engine.class_name(a.predicted)>
                                {format!("{}: {} ({:.0}%)", a.image_name, engine.class_name(a.predicted), 100.0 * a.confidence)}
                            </figcaption>
                        </figure>
                        <figure>
                            <img class="filters" data-testid="filters" data-count=a.filters_shown.to_string()
                                src=view.filters_url alt="first-layer filters"
                                style=format!("width: {}px", a.filters_columns * (fw + 1) * 12)/>
                            <figcaption>{format!("The first layer ({}): {} filters of {fh}×{fw} over RGB; grey is 0, \
                                colour shows what each responds to. {}", a.first_layer, a.filters_shown, first_layer_note(a.preset))}</figcaption>
                        </figure>
                    </div>
                    <LayerTable layers=a.layers map_urls=view.map_urls total=a.total_parameters/>
                    <p class="caption">"Parameter counts include batch norm's running mean and variance (two per \
                        channel), which are learned from the data but not by gradient descent."</p>
                }
            })}
            <Explanations/>
        </section>
    }
}

/// The layers in collapsible sections (stem, each group, head), each summarised by its layer
/// count, output shape and parameters; the first group open.
#[component]
fn LayerTable(
    layers: Vec<LayerView>,
    map_urls: Vec<Option<String>>,
    total: usize,
) -> impl IntoView {
    let groups = layer_groups(layers.iter().map(|l| l.name.as_str()));
    let rows: Vec<_> = layers.into_iter().zip(map_urls).collect();
    let shape_of = |shape: &[usize]| {
        shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" × ")
    };
    view! {
        <div class="layers" data-testid="architecture">
            {groups.into_iter().enumerate().map(|(g, group)| {
                let members = &rows[group.layers.clone()];
                let parameters: usize = members.iter().map(|(l, _)| l.parameters).sum();
                let output = members.last().map(|(l, _)| shape_of(&l.shape)).unwrap_or_default();
                let count = members.len();
                view! {
                    <details open=g < 2 data-testid="layer-group" data-title=group.title.clone()>
                        <summary>
                            <span class="title">{group.title.clone()}</span>
                            <span class="meta">{format!("{count} layer{} · out {output} · {} parameters",
                                if count == 1 { "" } else { "s" }, thousands(parameters))}</span>
                        </summary>
                        <div class="group-body">
                            <table class="architecture">
                                <thead><tr><th scope="col">"layer"</th><th scope="col">"what it does"</th>
                                    <th scope="col">"output shape"</th><th scope="col">"parameters"</th>
                                    <th scope="col">"feature maps (first channels)"</th></tr></thead>
                                <tbody>{members.iter().map(|(layer, url)| layer_row(layer, url.clone(), shape_of(&layer.shape))).collect_view()}</tbody>
                            </table>
                        </div>
                    </details>
                }
            }).collect_view()}
            <p class="total">"Total: " <strong data-testid="arch-total" data-parameters=total.to_string()>
                {thousands(total)}</strong> " parameters"</p>
        </div>
    }
}

fn layer_row(layer: &LayerView, url: Option<String>, shape: String) -> impl IntoView + use<> {
    // Every grid drawn about 130 px wide whatever the map's size, pixels kept square.
    let maps = match (url, &layer.shape[..]) {
        (Some(url), [_, h, w]) => {
            let scale = (32 / w.max(&1)).max(1);
            let width = layer.maps_columns * (w + 1) * scale;
            Some(view! {
                <img class="maps" data-testid="feature-maps" src=url
                    alt=format!("{} of {} maps of {h}×{w}", layer.maps_shown, layer.name)
                    style=format!("width: {width}px")/>
            })
        }
        _ => None,
    };
    view! {
        <tr data-testid="arch-row" data-parameters=layer.parameters.to_string()>
            <td>{layer.name.clone()}</td><td>{layer.detail.clone()}</td><td>{shape}</td>
            <td class="num">{thousands(layer.parameters)}</td><td>{maps}</td>
        </tr>
    }
}

fn first_layer_note(preset: Preset) -> &'static str {
    match preset {
        Preset::Baseline => "They were learned by gradient descent from random starting values.",
        _ => {
            "airbench does not learn them by gradient descent: they are the principal directions of \
              2×2 patches of training images (each with its negative), fixed before training."
        }
    }
}

#[component]
fn Explanations() -> impl IntoView {
    view! {
        <section class="explanations" data-testid="explanations">
            <h3>"The building blocks"</h3>
            <dl>
                <dt>"Convolution"</dt>
                <dd>"A small grid of weights (3×3 here) slides over the image or the previous layer's maps. \
                    At each position it multiplies and sums what is under it, giving one number per position: a \
                    map of where its pattern occurs. A layer has many such filters, one output channel each, and \
                    reuses the same weights everywhere, so an edge or a texture is found wherever it is."</dd>
                <dt>"Pooling"</dt>
                <dd>"Max-pooling keeps the largest value in each 2×2 block, halving height and width. The maps \
                    get coarser but each value now covers a larger part of the image, and small shifts of the \
                    object barely change the result."</dd>
                <dt>"Batch normalisation"</dt>
                <dd>"Rescales every channel to zero mean and unit variance over the batch, then applies a learned \
                    scale and shift. It keeps the numbers in a range where training is stable at high learning \
                    rates. At inference it uses running averages of the mean and variance collected in training."</dd>
                <dt>"Dropout"</dt>
                <dd>"While training, randomly zeroes half of the dense layer's outputs (baseline network), so the \
                    network cannot lean on any single feature. At inference nothing is dropped. airbench does \
                    without it: augmentation and label smoothing regularise it instead."</dd>
                <dt>"Activation functions"</dt>
                <dd>"Without a non-linearity between them, stacked layers would collapse into one linear map. \
                    ReLU keeps positive values and zeroes the rest; GELU (airbench) is a smooth version that lets \
                    small negative values through, which trains a little better."</dd>
                <dt>"The whitening layer"</dt>
                <dd>"airbench's first layer is a fixed 2×2 convolution computed from the data before training: \
                    its filters are the eigenvectors of the covariance of 2×2 colour patches, scaled so that each \
                    output channel has unit variance. Neighbouring pixels are highly correlated; whitening removes \
                    that redundancy, so the first learned layer starts from decorrelated inputs and learns faster."</dd>
            </dl>
        </section>
    }
}
