//! The Inside page's layer table in groups: the layers of one residual group ("group 2 · conv 1",
//! "group 2 · max-pool", …) together, those before the first group as the stem and those after
//! the last as the head, so a 30-row table reads as five sections.

use std::ops::Range;

/// A run of consecutive layers under one title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerGroup {
    pub title: String,
    pub layers: Range<usize>,
}

/// Groups layers by the prefix before " · " in their names; unprefixed runs are the "stem" before
/// any group, the "head" after one (a network without groups is one run, "layers").
pub fn layer_groups<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<LayerGroup> {
    let mut groups: Vec<LayerGroup> = Vec::new();
    let mut seen_prefix = false;
    for (i, name) in names.into_iter().enumerate() {
        let prefix = name.split_once(" · ").map(|(p, _)| p.to_string());
        seen_prefix |= prefix.is_some();
        let title = prefix.unwrap_or_else(|| if seen_prefix { "head" } else { "stem" }.into());
        match groups.last_mut() {
            Some(last) if last.title == title => last.layers.end = i + 1,
            _ => groups.push(LayerGroup {
                title,
                layers: i..i + 1,
            }),
        }
    }
    if let [only] = groups.as_mut_slice() {
        only.title = "layers".into();
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_groups_with_stem_and_head() {
        let names = [
            "input",
            "whitening conv",
            "GELU",
            "group 1 · conv 1",
            "group 1 · GELU",
            "group 2 · conv 1",
            "head max-pool",
            "linear → logits",
        ];
        let groups = layer_groups(names);
        let titles: Vec<_> = groups.iter().map(|g| g.title.as_str()).collect();
        assert_eq!(titles, ["stem", "group 1", "group 2", "head"]);
        let ranges: Vec<_> = groups.iter().map(|g| g.layers.clone()).collect();
        assert_eq!(ranges, [0..3, 3..5, 5..6, 6..8]);
    }

    #[test]
    fn no_groups_is_one_section() {
        let groups = layer_groups(["conv 1 (3×3)", "ReLU", "linear"]);
        assert_eq!(
            groups,
            [LayerGroup {
                title: "layers".into(),
                layers: 0..3
            }]
        );
        assert!(layer_groups([]).is_empty());
    }
}
