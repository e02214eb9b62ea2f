//! Stratified, seeded K-fold assignment: the members of each class are shuffled with the seed
//! and dealt to the folds in turn, continuing where the previous class stopped, so every fold
//! gets each class's share (within one sample) and the folds' sizes differ by at most one.

/// The fold (0..k) of each of the `labels`' samples.
pub fn stratified_folds(labels: &[u32], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let classes = labels.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        members[c as usize].push(i);
    }
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // SplitMix64.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut fold = vec![0; labels.len()];
    let mut turn = 0;
    for class in &mut members {
        for i in (1..class.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            class.swap(i, j);
        }
        for &i in class.iter() {
            fold[i] = turn % k;
            turn += 1;
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fold_gets_its_share_of_every_class_and_the_seed_decides() {
        let labels: Vec<u32> = (0..103)
            .map(|i| if i < 70 { 0 } else { 1 + i % 3 })
            .collect();
        let folds = stratified_folds(&labels, 5, 7);
        for c in 0..4u32 {
            let per_fold: Vec<usize> = (0..5)
                .map(|f| {
                    (0..103)
                        .filter(|&i| labels[i] == c && folds[i] == f)
                        .count()
                })
                .collect();
            let (lo, hi) = (per_fold.iter().min(), per_fold.iter().max());
            assert!(
                hi.zip(lo).is_some_and(|(h, l)| h - l <= 1),
                "{c}: {per_fold:?}"
            );
        }
        let sizes: Vec<usize> = (0..5)
            .map(|f| folds.iter().filter(|&&x| x == f).count())
            .collect();
        assert!(
            sizes
                .iter()
                .max()
                .zip(sizes.iter().min())
                .is_some_and(|(h, l)| h - l <= 1)
        );
        assert_eq!(folds, stratified_folds(&labels, 5, 7));
        assert_ne!(folds, stratified_folds(&labels, 5, 8));
    }
}
