//! Tests of [`super::set::EmbeddingSet`]: how rows enter it, and that a set on disk answers
//! like the same set in memory.

use super::matrix::Spill;
use super::set::EmbeddingSet;
use crate::embedding_store::to_embedding;

#[test]
fn rows_are_normalised_and_odd_rows_are_missing() {
    let a = to_embedding(&[3.0, 4.0]);
    let b = to_embedding(&[0.0, 2.0]);
    let odd = to_embedding(&[1.0, 1.0, 1.0]);
    let nan = to_embedding(&[f32::NAN, 1.0]);
    let set = EmbeddingSet::from_embeddings(&[
        Ok(&a),
        Err("unreadable".into()),
        Ok(&odd),
        Ok(&b),
        Ok(&nan),
    ]);
    assert_eq!(set.dim, 2);
    assert_eq!(set.rows, [Some(0), None, None, Some(1), None]);
    assert_eq!(*set.of_sample(0).unwrap(), [0.6, 0.8]);
    assert_eq!(*set.of_sample(3).unwrap(), [0.0, 1.0]);
    let why: Vec<_> = set.missing.iter().map(|(i, _)| *i).collect();
    assert_eq!(why, [1, 2, 4]);
    assert!(set.missing[1].1.contains("3 values, the others 2"));
    let c = set.centroid(&[0, 1, 3]).unwrap();
    let expected = [0.6 / 1.8f32.hypot(0.6), 1.8 / 1.8f32.hypot(0.6)];
    assert!((c[0] - expected[0]).abs() < 1e-6 && (c[1] - expected[1]).abs() < 1e-6);
}

#[test]
fn a_set_on_disk_answers_bit_for_bit_like_the_same_set_in_memory() {
    use crate::embed::knn::{all_nearest, exact_nearest};
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<Vec<f32>> = (0..400)
        .map(|i| {
            (0..24)
                .map(|j| ((i * 31 + j * 7) % 17) as f32 - 8.0 + (i % 5) as f32 * 0.1)
                .collect()
        })
        .collect();
    rows[9] = vec![0.0; 24];
    let spill = Spill {
        dir: dir.path().join("embeddings"),
        past_bytes: 0,
    };
    let mem = EmbeddingSet::from_rows(&rows);
    let disk = EmbeddingSet::from_rows_in(&rows, Some(&spill));
    assert!(disk.on_disk() && !mem.on_disk());
    assert_eq!(disk.samples, mem.samples);
    assert_eq!(disk.block(0, disk.len()), mem.block(0, mem.len()));
    assert_eq!(disk.row(9), mem.row(9));
    let q = mem.row(5).into_owned();
    assert_eq!(
        exact_nearest(&disk, &q, 10, &[5]),
        exact_nearest(&mem, &q, 10, &[5])
    );
    assert_eq!(all_nearest(&disk, 5, None), all_nearest(&mem, 5, None));
    assert_eq!(disk.centroid(&[1, 2, 3]), mem.centroid(&[1, 2, 3]));
    let picked: Vec<usize> = (0..400).step_by(3).collect();
    let (sd, sm) = (disk.subset(&picked), mem.subset(&picked));
    assert!(sd.on_disk());
    assert_eq!(sd.rows, sm.rows);
    assert_eq!(sd.block(0, sd.len()), sm.block(0, sm.len()));
    let opts = crate::embed::project::UmapOptions::default();
    let pca = crate::embed::project::MapMethod::Pca;
    assert_eq!(
        crate::embed::map_cache::map_key(&disk, pca, &opts),
        crate::embed::map_cache::map_key(&mem, pca, &opts)
    );
    // The graph over rows on disk: every distance it reports is the exact one.
    let graph = disk.graph(None).unwrap();
    assert!(graph.is_out_of_core() && !mem.graph(None).unwrap().is_out_of_core());
    // Searched from every worker at once, as the checks do.
    let every = graph.all_nearest(disk.as_rows(), 5, None).unwrap();
    let exact = crate::embed::knn::exact_all_nearest(&mem, 5);
    // The rows repeat, so ties are many: compare the distances found (the exact pass
    // sums in another order, hence the tolerance).
    let same = every
        .iter()
        .zip(&exact)
        .filter(|(a, b)| {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|(x, y)| (x.distance - y.distance).abs() < 1e-5)
        })
        .count();
    // HNSW's recall moves from run to run (the graph is built by several threads): 388-400 of
    // 400 seen. A graph that did not answer from its mapped file would find almost none.
    assert!(
        same >= 360,
        "{same} of 400 rows found their exact 5 nearest"
    );
    for n in graph.nearest(disk.as_rows(), &q, 5, &[5]).unwrap() {
        let exact = 1.0 - crate::embed::knn::dot(&q, &mem.of_sample(n.sample).unwrap());
        assert_eq!(n.distance, exact);
    }
    // The PCA map of the set on disk (fitted and projected in blocks) matches the one in
    // memory up to rounding.
    let (a, b) = (
        crate::embed::project::pca_map(&disk),
        crate::embed::project::pca_map(&mem),
    );
    for (p, q) in a.points.iter().zip(&b.points) {
        assert!(
            (p[0] - q[0]).abs() < 1e-3 && (p[1] - q[1]).abs() < 1e-3,
            "{p:?} {q:?}"
        );
    }
    // The files are unnamed and go with the last clone of the set.
    let again = disk.clone();
    drop((disk, sd));
    assert_eq!(again.row(7), mem.row(7));
    drop(again);
    let left = std::fs::read_dir(&spill.dir).unwrap().count();
    assert_eq!(left, 0);
}
