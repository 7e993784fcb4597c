//! A small SVG line chart for training curves, drawn from engine events.

use leptos::prelude::*;

const WIDTH: f64 = 420.0;
const HEIGHT: f64 = 180.0;
/// Left, right, top, bottom margins (room for the axis labels).
const MARGIN: (f64, f64, f64, f64) = (40.0, 10.0, 10.0, 22.0);
/// More points than this are averaged in buckets: a line cannot show more than it has pixels.
const MAX_DRAWN: usize = 400;

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: &'static str,
    /// CSS class giving the colour.
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Dots at each point (for a few points, e.g. one per epoch).
    pub markers: bool,
}

#[component]
pub fn LineChart(
    title: &'static str,
    testid: &'static str,
    x_label: &'static str,
    /// Fixed y range (e.g. 0–100 %); otherwise from the data.
    #[prop(optional)]
    y_range: Option<(f64, f64)>,
    #[prop(into)] series: Signal<Vec<Series>>,
) -> impl IntoView {
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            {move || {
                let series = series.get();
                let all = || series.iter().flat_map(|s| s.points.iter());
                let (x0, x1) = bounds(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
                let (y0, y1) = y_range.or_else(|| bounds(all().map(|p| p.1))).unwrap_or((0.0, 1.0));
                let (x1, y1) = (if x1 > x0 { x1 } else { x0 + 1.0 }, if y1 > y0 { y1 } else { y0 + 1.0 });
                let (left, right, top, bottom) = MARGIN;
                let sx = move |x: f64| left + (x - x0) / (x1 - x0) * (WIDTH - left - right);
                let sy = move |y: f64| HEIGHT - bottom - (y - y0) / (y1 - y0) * (HEIGHT - top - bottom);
                let lines = series.iter().map(|s| {
                    let drawn = downsample(&s.points);
                    let path = drawn.iter().map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect::<Vec<_>>().join(" ");
                    let last = s.points.last().map(|p| format!("{:.4}", p.1)).unwrap_or_default();
                    let dots = s.markers.then(|| drawn.iter().map(|&(x, y)| view! {
                        <circle cx=format!("{:.1}", sx(x)) cy=format!("{:.1}", sy(y)) r="3" class=s.class/>
                    }).collect_view());
                    view! {
                        <polyline class=format!("line {}", s.class) points=path
                            data-series=s.name data-points=s.points.len().to_string() data-last=last/>
                        {dots}
                    }
                }).collect_view();
                let legend = series.iter().map(|s| view! {
                    <span class=format!("key {}", s.class)>{s.name}</span>
                }).collect_view();
                view! {
                    <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title>
                        <line class="axis" x1=left y1=HEIGHT - bottom x2=WIDTH - right y2=HEIGHT - bottom/>
                        <line class="axis" x1=left y1=top x2=left y2=HEIGHT - bottom/>
                        <text class="tick" x=left - 4.0 y=top + 8.0 text-anchor="end">{tick(y1)}</text>
                        <text class="tick" x=left - 4.0 y=HEIGHT - bottom text-anchor="end">{tick(y0)}</text>
                        <text class="tick" x=left y=HEIGHT - 6.0>{tick(x0)}</text>
                        <text class="tick" x=WIDTH - right y=HEIGHT - 6.0 text-anchor="end">{format!("{} {x_label}", tick(x1))}</text>
                        {lines}
                    </svg>
                    <div class="legend">{legend}</div>
                }
            }}
        </figure>
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Bucket means, so a long run stays a readable line.
fn downsample(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_DRAWN {
        return points.iter().copied().filter(|p| p.1.is_finite()).collect();
    }
    let per = points.len().div_ceil(MAX_DRAWN);
    points
        .chunks(per)
        .map(|chunk| {
            let n = chunk.len() as f64;
            (
                chunk.iter().map(|p| p.0).sum::<f64>() / n,
                chunk.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .filter(|p| p.1.is_finite())
        .collect()
}

fn tick(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
