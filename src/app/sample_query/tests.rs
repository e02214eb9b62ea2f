//! Tests of the gallery's filters and sort keys.
use super::*;
use crate::eval::Prediction;

fn fixture() -> (Dataset, PredictionSet) {
    let labels = [0, 0, 1, 1];
    let ds = Dataset::in_memory(&["a", "b"], &labels, 0, |_| None);
    let p =
        |probs: Vec<f32>| Entry::Predicted(crate::eval::predictions_from_probs(&probs, 2, None));
    let set = PredictionSet {
        name: "m".into(),
        source: "t".into(),
        entries: vec![
            p(vec![0.9, 0.1]),
            p(vec![0.4, 0.6]),
            p(vec![0.2, 0.8]),
            Entry::Failed("bad: /x/3.png".into()),
        ],
        elapsed_secs: None,
        num_cached: 0,
        num_inferred: 0,
    };
    let _: Option<Prediction> = None;
    (ds, set)
}

fn vi<'a>(
    ds: &'a Dataset,
    truth: &'a [Option<ClassId>],
    preds: Option<&'a PredictionSet>,
    edits: &'a CurationState,
) -> ViewInputs<'a> {
    ViewInputs {
        ds,
        truth,
        preds,
        edits,
        problems: None,
        compare: &[],
        embeddings: None,
    }
}

#[test]
fn filters_by_cell_correctness_and_confidence() {
    let no_edits = CurationState::default();
    let (ds, set) = fixture();
    let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let wrong = Filter {
        correctness: Correctness::Wrong,
        ..Default::default()
    };
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &wrong,
            SortKey::FileName
        ),
        vec![1]
    );
    let cell = Filter {
        true_class: Some(ClassId(0)),
        predicted: Some(Predicted::Class(ClassId(1))),
        ..Default::default()
    };
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &cell,
            SortKey::FileName
        ),
        vec![1]
    );
    let confident = Filter {
        confidence: (0.85, 1.0),
        ..Default::default()
    };
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &confident,
            SortKey::FileName
        ),
        vec![0]
    );
    let none = Filter {
        correctness: Correctness::NoPrediction,
        ..Default::default()
    };
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &none,
            SortKey::FileName
        ),
        vec![3]
    );
    assert_eq!(failure(Some(&set), 3), Some("bad: /x/3.png"));
}

#[test]
fn sorts_by_loss_and_confidence() {
    let no_edits = CurationState::default();
    let (ds, set) = fixture();
    let mut truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let all = Filter::default();
    // Loss: sample 1 (p(a)=0.4) > sample 2 (p(b)=0.8) > sample 0 (p(a)=0.9); failed last.
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &all,
            SortKey::LossDesc
        ),
        vec![1, 2, 0, 3]
    );
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &all,
            SortKey::ConfidenceAsc
        ),
        vec![1, 2, 0, 3]
    );
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &all,
            SortKey::ConfidenceDesc
        ),
        vec![0, 2, 1, 3]
    );
    assert_eq!(
        visible_order(vi(&ds, &truth, None, &no_edits), &all, SortKey::LossDesc),
        vec![0, 1, 2, 3]
    );
    // Relabelling sample 1 to `b` (p = 0.6) makes it correct; excluding sample 0 hides it.
    truth[1] = Some(ClassId(1));
    truth[0] = None;
    let wrong = Filter {
        correctness: Correctness::Wrong,
        ..Default::default()
    };
    assert!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &wrong,
            SortKey::FileName
        )
        .is_empty()
    );
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &all,
            SortKey::FileName
        ),
        vec![1, 2, 3]
    );
    let only = Filter {
        excluded: ExcludedView::Only,
        ..Default::default()
    };
    assert_eq!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &only,
            SortKey::FileName
        ),
        vec![0]
    );
}

#[test]
fn filters_by_edit_state_tag_and_reason() {
    use crate::curation::Action;
    let (ds, set) = fixture();
    let mut edits = CurationState::default();
    let relabel = Action::Relabel {
        label: Some("b".into()),
    };
    edits.apply(edits.make_edit(["0.png".to_string()], relabel));
    let tag = Action::AddTag {
        tag: "blurry".into(),
    };
    edits.apply(edits.make_edit(["1.png".to_string(), "2.png".to_string()], tag));
    let exclude = Action::Exclude {
        reason: "watermark/text".into(),
    };
    edits.apply(edits.make_edit(["2.png".to_string()], exclude));
    let truth = crate::curation::effective_labels(&ds, &edits);
    let v = vi(&ds, &truth, Some(&set), &edits);
    let with = |e: EditFilter| Filter {
        edits: e,
        ..Default::default()
    };
    let order = |f: Filter| visible_order(v, &f, SortKey::FileName);
    assert_eq!(order(with(EditFilter::Edited)), vec![0, 1]);
    assert_eq!(order(with(EditFilter::Relabeled)), vec![0]);
    assert_eq!(order(with(EditFilter::Unedited)), vec![3]);
    assert_eq!(order(with(EditFilter::Tag("blurry".into()))), vec![1]);
    // A reason filter shows excluded samples even though they are hidden by default.
    let reason = EditFilter::Reason("watermark/text".into());
    assert_eq!(order(with(reason)), vec![2]);
    assert!(order(with(EditFilter::Reason("duplicate".into()))).is_empty());
}

#[test]
fn show_similar_lists_the_anchor_then_its_neighbours_through_the_other_filters() {
    let no_edits = CurationState::default();
    let (ds, set) = fixture();
    let truth: Vec<_> = ds.samples.iter().map(|s| Some(s.label)).collect();
    let rows = [[1.0, 0.0], [0.0, 1.0], [0.9, 0.2], [0.6, 0.5]];
    let e: Vec<_> = rows
        .iter()
        .map(|r| crate::embedding_store::to_embedding(r))
        .collect();
    let refs: Vec<Result<_, String>> = e.iter().map(Ok).collect();
    let emb = EmbeddingSet::from_embeddings(&refs);
    let inputs = ViewInputs {
        embeddings: Some(&emb),
        ..vi(&ds, &truth, Some(&set), &no_edits)
    };
    let similar = |limit, correctness| Filter {
        similar: Some(SimilarTo {
            anchors: vec![0],
            limit,
        }),
        correctness,
        ..Default::default()
    };
    let order = |f: &Filter| visible_order(inputs, f, SortKey::LossDesc);
    assert_eq!(order(&similar(10, Correctness::All)), vec![0, 2, 3, 1]);
    assert_eq!(order(&similar(2, Correctness::All)), vec![0, 2, 3]);
    // Sample 3 failed: "Correct" keeps the anchor and sample 2, nearest first.
    assert_eq!(order(&similar(10, Correctness::Correct)), vec![0, 2]);
    // Without embeddings nothing is similar to anything.
    assert!(
        visible_order(
            vi(&ds, &truth, Some(&set), &no_edits),
            &similar(10, Correctness::All),
            SortKey::FileName
        )
        .is_empty()
    );
}

/// The packed-integer sort gives the order of the (key descending by `total_cmp`, index
/// ascending) comparison it replaced, on keys with ties, both zeros, infinities and NaNs.
#[test]
fn packed_sort_keeps_the_total_order_with_ties_by_index() {
    let special = [
        0.0f32,
        -0.0,
        1.0,
        -1.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::MIN_POSITIVE,
        -2.0,
    ];
    let mut rng = crate::rng::SplitMix::new(7);
    let order: Vec<usize> = (0..5_000).map(|i| i * 3 + 1).collect();
    let keys: Vec<f32> = (0..order.len())
        .map(|i| {
            if i % 3 == 0 {
                special[rng.below(special.len() as u64) as usize]
            } else {
                (rng.uniform() as f32 - 0.5) * 10.0
            }
        })
        .collect();
    let mut expected: Vec<(f32, usize)> = keys.iter().copied().zip(order.iter().copied()).collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<usize> = expected.into_iter().map(|(_, i)| i).collect();
    let mut got = order.clone();
    super::order::sort_by_key_desc(&mut got, &keys);
    assert_eq!(got, expected);
}
