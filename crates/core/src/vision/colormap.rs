//! Saliency values → colours (no Burn, no image decoding: the UI uses this too).

/// Stops of a perceptually ordered map (after matplotlib's "inferno"): black → purple → red →
/// orange → pale yellow, so "more" always reads as "brighter", in colour and in grey.
const STOPS: [[f32; 3]; 5] = [
    [0.0, 0.0, 4.0],
    [87.0, 16.0, 110.0],
    [188.0, 55.0, 84.0],
    [249.0, 142.0, 9.0],
    [252.0, 255.0, 164.0],
];

/// The colour of a map value (0–255).
pub fn colour(value: u8) -> [u8; 3] {
    let t = value as f32 / 255.0 * (STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f32;
    [0, 1, 2].map(|c| (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f).round() as u8)
}

/// A 32×32 map (0–255) as RGBA. As an `overlay`, alpha follows the value, so the image shows
/// through where the map is cold.
pub fn heatmap_rgba(values: &[u8], overlay: bool) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| {
            let [r, g, b] = colour(v);
            [r, g, b, if overlay { v } else { 255 }]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_runs_from_dark_to_bright_through_its_stops() {
        assert_eq!(colour(0), [0, 0, 4]);
        assert_eq!(colour(255), [252, 255, 164]);
        // Perceived brightness rises with the value.
        let luma = |[r, g, b]: [u8; 3]| 0.3 * r as f32 + 0.59 * g as f32 + 0.11 * b as f32;
        for v in 1..=255u8 {
            assert!(luma(colour(v)) >= luma(colour(v - 1)) - 0.5, "at {v}");
        }
    }

    #[test]
    fn overlays_are_transparent_where_the_map_is_cold() {
        let rgba = heatmap_rgba(&[0, 128, 255], true);
        assert_eq!(rgba.len(), 12);
        assert_eq!([rgba[3], rgba[7], rgba[11]], [0, 128, 255]);
        assert!(heatmap_rgba(&[0], false)[3] == 255);
    }
}
