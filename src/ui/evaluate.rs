//! The evaluate page: the classifier over the test split in the engine, with and without flip
//! TTA; the confusion matrix as a heatmap (a click shows a cell's images), per-class precision,
//! recall, F1 and ROC-AUC, and the most confident mistakes.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::insight_state::InsightStatus;
use pinhole_core::data::{CLASS_NAMES, NUM_CLASSES, Split};
use pinhole_core::protocol::{DEFAULT_MANIFEST, Evaluation, RecordSet, Request};
use pinhole_core::train::EvalReport;

/// Images fetched for a clicked confusion-matrix cell.
const CELL_IMAGES: usize = 40;

#[component]
pub fn EvaluatePage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let state = engine.insight.evaluation;
    let manifest = RwSignal::new(DEFAULT_MANIFEST.to_string());
    // 0: every record of the test split.
    let limit = RwSignal::new(2000usize);
    let tta = RwSignal::new(true);
    let show_tta = RwSignal::new(false);
    let cell = RwSignal::new(None::<(usize, usize)>);
    let running = move || state.with(|s| s.progress.is_some());
    let run = move |_| {
        cell.set(None);
        show_tta.set(false);
        state.update(|s| s.start("Starting the evaluation…"));
        let limit = limit.get_untracked();
        engine.send(Request::Evaluate {
            set: RecordSet {
                manifest: manifest.get_untracked(),
                split: Split::Test,
            },
            limit: (limit > 0).then_some(limit),
            tta: tta.get_untracked(),
        });
    };
    view! {
        <section class="evaluate" data-testid="evaluate">
            <h2>"Evaluate the model on the test split"</h2>
            <p class="caption">"The model in the bar above runs over CIFAR-10 test records here in the engine; \
                the figures are the same as " <code>"pinhole eval --json"</code> " gives for the same weights and records."</p>
            <div class="controls">
                <label>"Shard set " <input type="text" size="32" data-testid="eval-manifest"
                    prop:value=move || manifest.get()
                    on:change=move |ev| manifest.set(event_target_value(&ev))/></label>
                <label>" Records " <select data-testid="eval-limit"
                    on:change=move |ev| limit.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {[500usize, 1000, 2000, 5000, 0].into_iter().map(|n| view! {
                        <option value=n.to_string() selected=move || limit.get() == n>
                            {if n == 0 { "all".to_string() } else { format!("first {n}") }}
                        </option>
                    }).collect_view()}
                </select></label>
                <label><input type="checkbox" data-testid="eval-tta" prop:checked=move || tta.get()
                    on:change=move |ev| tta.set(event_target_checked(&ev))/>" also with flip + translate TTA"</label>
                <button class="primary" data-testid="eval-run" on:click=run
                    prop:disabled=move || running() || engine.model.with(Option::is_none)>"Evaluate"</button>
                {move || running().then(|| view! {
                    <button data-testid="eval-cancel" on:click=move |_| engine.send(Request::CancelEvaluation)>"Cancel"</button>
                })}
            </div>
            <InsightStatus state testid="eval"/>
            {move || state.with(|s| s.result.clone()).map(|evaluation| view! {
                <Results evaluation show_tta cell/>
            })}
        </section>
    }
}

fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

#[component]
fn Results(
    evaluation: Evaluation,
    show_tta: RwSignal<bool>,
    cell: RwSignal<Option<(usize, usize)>>,
) -> impl IntoView {
    let has_tta = evaluation.tta.is_some();
    let headline = view! {
        <p class="headline">
            <span data-testid="eval-accuracy" data-value=evaluation.plain.accuracy.to_string()>
                {format!("Accuracy {} on {} records", percent(evaluation.plain.accuracy), evaluation.plain.records)}
            </span>
            {evaluation.tta.as_ref().map(|t| view! {
                <span data-testid="eval-accuracy-tta" data-value=t.accuracy.to_string()>
                    {format!(" · with flip + translate TTA {}", percent(t.accuracy))}
                </span>
            })}
            <span class="caption">{format!(" · {} · {:.1} s", evaluation.model, evaluation.seconds)}</span>
        </p>
    };
    let evaluation = StoredValue::new(evaluation);
    let report = move || {
        evaluation.with_value(|e| match (&e.tta, show_tta.get()) {
            (Some(tta), true) => tta.clone(),
            _ => e.plain.clone(),
        })
    };
    view! {
        {headline}
        {has_tta.then(|| view! {
            <label>"Details for " <select data-testid="eval-details"
                on:change=move |ev| { cell.set(None); show_tta.set(event_target_value(&ev) == "tta") }>
                <option value="plain" selected=move || !show_tta.get()>"the plain model"</option>
                <option value="tta" selected=move || show_tta.get()>"flip + translate TTA"</option>
            </select></label>
        })}
        {move || {
            let report = report();
            let labels = evaluation.with_value(|e| e.labels.clone());
            view! {
                <div class="eval-grid">
                    <ConfusionMatrix report=report.clone() labels=labels.clone() cell evaluation/>
                    <ClassTable report=report.clone()/>
                </div>
                <CellGallery report=report.clone() labels cell/>
                <Mistakes report evaluation/>
            }
        }}
    }
}

#[component]
fn ConfusionMatrix(
    report: EvalReport,
    labels: Vec<u8>,
    cell: RwSignal<Option<(usize, usize)>>,
    evaluation: StoredValue<Evaluation>,
) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let report = StoredValue::new(report);
    let labels = StoredValue::new(labels);
    let open = move |truth: usize, predicted: usize| {
        cell.set(Some((truth, predicted)));
        let missing: Vec<usize> = report
            .with_value(|r| labels.with_value(|l| r.cell(l, truth, predicted)))
            .into_iter()
            .take(CELL_IMAGES)
            .filter(|i| {
                engine
                    .insight
                    .record_urls
                    .with_untracked(|urls| !urls.contains_key(i))
            })
            .collect();
        if !missing.is_empty() {
            engine.send(Request::RecordImages {
                set: evaluation.with_value(|e| e.set.clone()),
                indices: missing,
            });
        }
    };
    let rows = report.with_value(|r| r.confusion);
    view! {
        <figure class="confusion">
            <table data-testid="confusion">
                <tr><th>"true ↓ / predicted →"</th>
                    {CLASS_NAMES.iter().map(|name| view! { <th class="rot">{name.to_string()}</th> }).collect_view()}
                </tr>
                {(0..NUM_CLASSES).map(|t| {
                    let support: usize = rows[t].iter().sum();
                    view! {
                        <tr><th>{CLASS_NAMES[t]}</th>
                            {(0..NUM_CLASSES).map(|p| {
                                let count = rows[t][p];
                                let share = count as f64 / support.max(1) as f64;
                                // Share of the true class's records: light (none) to dark (all). White
                                // text needs L ≤ 54 and dark text L ≥ 63 for 4.5:1 contrast, so
                                // the band between is skipped.
                                let lightness: f64 = 97.0 - 62.0 * share.sqrt();
                                let (lightness, text) = if lightness < 58.5 {
                                    (lightness.min(54.0), "#fff")
                                } else {
                                    (lightness.max(63.0), "#1d2433")
                                };
                                let style = format!("background: hsl(220 70% {lightness:.0}%); color: {text}");
                                let label = format!("{count} {} records predicted {}", CLASS_NAMES[t], CLASS_NAMES[p]);
                                view! {
                                    <td data-testid="confusion-cell" data-truth=t.to_string() data-predicted=p.to_string()
                                        data-count=count.to_string() style=style
                                        class:selected=move || cell.get() == Some((t, p))>
                                        // A button: Tab reaches every cell, Enter or Space opens its images.
                                        <button type="button" aria-pressed=move || (cell.get() == Some((t, p))).to_string()
                                            title=label.clone() aria-label=label
                                            on:click=move |_| open(t, p)>
                                            {count}
                                        </button>
                                    </td>
                                }
                            }).collect_view()}
                        </tr>
                    }
                }).collect_view()}
            </table>
            <figcaption class="caption">"Rows: the true class; columns: the prediction. Click a cell (or Tab to it and press Enter) for its images."</figcaption>
        </figure>
    }
}

#[component]
fn ClassTable(report: EvalReport) -> impl IntoView {
    let mean = report
        .mean_roc_auc
        .map(|a| format!("{a:.4}"))
        .unwrap_or("–".into());
    view! {
        <div class="table-scroll">
        <table class="classes" data-testid="class-metrics">
            <tr><th>"class"</th><th>"precision"</th><th>"recall"</th><th>"F1"</th><th>"ROC-AUC"</th><th>"support"</th></tr>
            {report.per_class.iter().zip(&report.roc_auc).enumerate().map(|(c, (m, auc))| view! {
                <tr data-testid="class-row" data-class=CLASS_NAMES[c] data-f1=m.f1.to_string()
                    data-auc=auc.map(|a| a.to_string()).unwrap_or_default()>
                    <td>{CLASS_NAMES[c]}</td>
                    <td>{format!("{:.3}", m.precision)}</td>
                    <td>{format!("{:.3}", m.recall)}</td>
                    <td>{format!("{:.3}", m.f1)}</td>
                    <td>{auc.map(|a| format!("{a:.4}")).unwrap_or("–".into())}</td>
                    <td>{m.support}</td>
                </tr>
            }).collect_view()}
            <tr><td colspan="4">"mean one-vs-rest ROC-AUC"</td><td data-testid="mean-auc">{mean}</td><td></td></tr>
        </table>
        </div>
    }
}

#[component]
fn CellGallery(
    report: EvalReport,
    labels: Vec<u8>,
    cell: RwSignal<Option<(usize, usize)>>,
) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    move || {
        let (truth, predicted) = cell.get()?;
        let indices = report.cell(&labels, truth, predicted);
        let count = indices.len();
        let title = format!(
            "{} {} records predicted {}{}",
            indices.len(),
            CLASS_NAMES[truth],
            CLASS_NAMES[predicted],
            if indices.len() > CELL_IMAGES {
                format!(" (the first {CELL_IMAGES})")
            } else {
                String::new()
            }
        );
        Some(view! {
            <section class="gallery" data-testid="cell-gallery" data-count=count.to_string()>
                <h3>{title}</h3>
                <div class="tiles">
                    {indices.into_iter().take(CELL_IMAGES).map(|i| view! {
                        <figure data-testid="cell-image" data-index=i.to_string()>
                            {move || engine.insight.record_urls.with(|urls| urls.get(&i).cloned()).map(|url| view! {
                                <img src=url alt=format!("test record {i}") width="64" height="64"/>
                            })}
                            <figcaption>{format!("#{i}")}</figcaption>
                        </figure>
                    }).collect_view()}
                </div>
            </section>
        })
    }
}

#[component]
fn Mistakes(report: EvalReport, evaluation: StoredValue<Evaluation>) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let labels = evaluation.with_value(|e| e.labels.clone());
    let mistakes = report.confident_mistakes(&labels, 16);
    view! {
        <section class="gallery" data-testid="mistakes">
            <h3>"The most confident mistakes"</h3>
            <div class="tiles">
                {mistakes.into_iter().map(|i| {
                    let (truth, predicted) = (labels[i] as usize, report.predicted[i] as usize);
                    view! {
                        <figure data-testid="mistake" data-index=i.to_string()
                            data-truth=truth.to_string() data-predicted=predicted.to_string()>
                            {move || engine.insight.record_urls.with(|urls| urls.get(&i).cloned()).map(|url| view! {
                                <img src=url alt=format!("test record {i}") width="64" height="64"/>
                            })}
                            <figcaption>
                                {format!("{} → {}", CLASS_NAMES[truth], CLASS_NAMES[predicted])}<br/>
                                {format!("{:.0}% sure", 100.0 * report.confidence[i])}
                            </figcaption>
                        </figure>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
