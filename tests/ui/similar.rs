//! Find similar in the window: the detail view's strip of nearest neighbours, S listing them in
//! the gallery, a click opening one.

use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};

use crate::common;
use crate::common::ui::{analysis_done, app_on_fashion_subset, predictions_done, step_until};
use labelscope::app::AppCommand;
use labelscope::problems::FindingKind;

#[test]
fn the_detail_view_shows_similar_images_and_s_lists_them_in_the_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    // The review queue's line in the detail view must not move the strip while clicking.
    step_until(&mut h, Duration::from_secs(120), analysis_done);
    // Tall enough that the strip, below the image, is on screen without scrolling.
    h.set_size(egui::vec2(1400.0, 1400.0));
    h.run_steps(2);
    let (anchor, name) = {
        let s = h.state().session.as_ref().unwrap();
        assert!(s.embeddings.set.is_some(), "{:?}", s.embeddings.why_none);
        let i = (0..s.ws.dataset.samples.len())
            .find(|&i| s.ws.dataset.samples[i].id.0.starts_with("Shirt/"))
            .unwrap();
        (i, s.ws.dataset.samples[i].id.0.clone())
    };
    h.get_by_label_contains(&format!("{name}: true Shirt"))
        .click();
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(4);
    assert!(h.state().detail_open);
    let neighbours: Vec<String> = h
        .query_all_by_label_contains("(distance ")
        .map(|n| n.accesskit_node().label().unwrap_or_default())
        .collect();
    assert_eq!(neighbours.len(), 12, "{neighbours:?}");
    let tops = neighbours
        .iter()
        .filter(|l| {
            ["Shirt/", "T-shirt_top/", "Pullover/", "Coat/", "Dress/"]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .count();
    assert!(tops >= 10, "a shirt's neighbours are tops: {neighbours:?}");

    h.key_press(egui::Key::S);
    h.run_steps(3);
    {
        let s = h.state().session.as_ref().unwrap();
        assert_eq!(s.view.order.first(), Some(&anchor));
        assert_eq!(s.view.selected(), Some(anchor));
        assert!(s.view.order.len() > 12 && s.view.order.len() <= 60);
        assert!(s.view.filter.similar.is_some());
    }
    h.get_by_label_contains(&format!("Similar to {name}"));
    // The Sort box says what orders the gallery now, not a sort it ignores.
    assert!(
        h.query_all_by_value("By similarity (nearest first)")
            .count()
            + h.query_all_by_label_contains("By similarity").count()
            >= 1
    );

    // A click on a neighbour opens it.
    let first = neighbours[0].split(':').next().unwrap().to_string();
    h.get_by_label(&neighbours[0]).click();
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    let selected = s.view.selected().unwrap();
    assert_eq!(s.ws.dataset.samples[selected].id.0, first);
}

#[test]
fn the_map_shows_every_embedding_and_a_box_selection_filters_the_gallery() {
    map_box_selection(false);
}

#[test]
fn a_map_drawn_as_density_still_selects_by_box() {
    map_box_selection(true);
}

/// Opens the map and Shift+drags a box over all of it; `dense` draws it as the density image
/// big maps get.
fn map_box_selection(dense: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app_on_fashion_subset(dir.path());
    if dense {
        h.state_mut().draw_map_as_density_from(10);
    }
    step_until(&mut h, Duration::from_secs(120), predictions_done);
    h.key_press(egui::Key::M);
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| s.embeddings.map.umap.is_some())
    });
    assert_eq!(h.state().central, labelscope::app::CentralView::Map);
    h.get_by_label_contains("Map of 60 embeddings: UMAP");
    let canvas = h.get_by_label("Map of 60 points").rect();
    // Shift+drag a box over the whole canvas.
    let shift = egui::Modifiers::SHIFT;
    let press = |pos: egui::Pos2, pressed: bool| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: shift,
    };
    h.event(egui::Event::ModifiersChanged(shift));
    h.event(egui::Event::PointerMoved(canvas.min + egui::vec2(2.0, 2.0)));
    h.run_steps(1);
    h.event(press(canvas.min + egui::vec2(2.0, 2.0), true));
    h.run_steps(1);
    for k in 1..=4 {
        let t = k as f32 / 4.0;
        h.event(egui::Event::PointerMoved(
            canvas.min + (canvas.size() - egui::vec2(4.0, 4.0)) * t + egui::vec2(2.0, 2.0),
        ));
        h.run_steps(1);
    }
    h.event(press(canvas.max - egui::vec2(2.0, 2.0), false));
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::default()));
    h.run_steps(3);
    assert_eq!(
        h.state().central,
        labelscope::app::CentralView::Gallery,
        "the gallery shows the selection"
    );
    let s = h.state().session.as_ref().unwrap();
    let region = s.view.filter.region.clone().expect("a map selection");
    assert_eq!(region.samples.len(), 60, "every point was inside the box");
    h.get_by_label("Map selection (60) ×");
}

#[test]
fn a_copy_is_shown_beside_the_image_it_copies() {
    let dir = tempfile::tempdir().unwrap();
    common::fashion_subset(dir.path(), 6);
    let bag = dir.path().join("Bag");
    let original = std::fs::read_dir(&bag)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    std::fs::copy(&original, bag.join("zz_copy.png")).unwrap();
    let mut h = crate::common::ui::app_with(labelscope::app::StartupArgs {
        dataset: Some(dir.path().to_path_buf()),
        model: Some(crate::common::repo().join("assets/models/fashion_cnn.onnx")),
        backend: Some(labelscope::model::BackendKind::Tract),
        ..Default::default()
    });
    step_until(&mut h, Duration::from_secs(120), |app| {
        predictions_done(app)
            && app.session.as_ref().is_some_and(|s| {
                !s.jobs.is_running(labelscope::app::JobKind::Scan)
                    && !s.jobs.is_running(labelscope::app::JobKind::Analysis)
                    && s.problems.index.has(
                        s.ws.dataset.index_of("Bag/zz_copy.png").unwrap(),
                        FindingKind::NearDuplicate,
                    )
            })
    });
    let (copy, first) = {
        let s = h.state().session.as_ref().unwrap();
        let name = original.file_name().unwrap().to_string_lossy();
        (
            s.ws.dataset.index_of("Bag/zz_copy.png").unwrap(),
            s.ws.dataset.index_of(&format!("Bag/{name}")).unwrap(),
        )
    };
    h.state_mut().apply(AppCommand::ShowSample(copy));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(4);
    // pHash and the embeddings both see the copy; each finding shows the pair.
    assert_eq!(h.query_all_by_label("the one it copies").count(), 2);
    h.get_by_label_contains("looks like a copy of Bag/");
    let other = h
        .query_all_by_label("the one it copies")
        .next()
        .unwrap()
        .rect();
    // The thumbnail above the caption opens the original.
    h.event(egui::Event::PointerMoved(
        other.center_top() - egui::vec2(0.0, 30.0),
    ));
    h.run_steps(1);
    let click = |pressed| egui::Event::PointerButton {
        pos: other.center_top() - egui::vec2(0.0, 30.0),
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::default(),
    };
    h.event(click(true));
    h.run_steps(1);
    h.event(click(false));
    h.run_steps(3);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.view.selected(), Some(first));
}

/// A shifted copy, which the CNN's embedding puts among other garments, is confirmed by its
/// pixels once the image scan has read the signatures; the finding says so.
#[test]
fn a_shifted_copy_is_confirmed_by_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    common::fashion_subset(dir.path(), 8);
    let coat = dir.path().join("Coat");
    let original = std::fs::read_dir(&coat)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let img = image::open(&original).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let shifted = image::GrayImage::from_fn(w, h, |x, y| {
        *img.get_pixel((x + w - 8) % w, (y + h - 4) % h)
    });
    shifted.save(coat.join("zz_shifted.png")).unwrap();
    let mut h = crate::common::ui::app_with(labelscope::app::StartupArgs {
        dataset: Some(dir.path().to_path_buf()),
        model: Some(crate::common::repo().join("assets/models/fashion_cnn.onnx")),
        backend: Some(labelscope::model::BackendKind::Tract),
        ..Default::default()
    });
    let detail = |app: &labelscope::app::LabelscopeApp| -> Option<String> {
        let s = app.session.as_ref()?;
        let copy = s.ws.dataset.index_of("Coat/zz_shifted.png")?;
        s.problems
            .embedding
            .iter()
            .find(|f| f.sample == copy && f.kind == FindingKind::NearDuplicate)
            .map(|f| f.detail.clone())
    };
    step_until(&mut h, Duration::from_secs(120), |app| {
        predictions_done(app) && detail(app).is_some_and(|d| d.contains("pixels match"))
    });
    let text = detail(h.state()).unwrap();
    let name = original.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        text.contains(&format!("looks like a copy of Coat/{name}")),
        "{text}"
    );
    assert!(text.contains("shifted"), "{text}");
}

#[test]
fn a_separate_embedding_model_gives_the_embeddings() {
    let dir = tempfile::tempdir().unwrap();
    common::fashion_subset(dir.path(), 3);
    let repo = common::repo();
    let mut h = crate::common::ui::app_with(labelscope::app::StartupArgs {
        dataset: Some(dir.path().to_path_buf()),
        model: Some(repo.join("assets/models/fashion_cnn.onnx")),
        embedder: Some(repo.join("assets/models/efficientnet_lite0_fp16w.json")),
        backend: Some(labelscope::model::BackendKind::Tract),
        ..Default::default()
    });
    step_until(&mut h, Duration::from_secs(300), |app| {
        predictions_done(app)
            && app.session.as_ref().is_some_and(|s| {
                !s.jobs.is_running(labelscope::app::JobKind::Embedder) && s.embeddings.set.is_some()
            })
    });
    h.run_steps(5);
    let s = h.state().session.as_ref().unwrap();
    let set = s.embeddings.set.as_ref().unwrap();
    // EfficientNet-Lite0's 1,280 pooled features, not the Fashion CNN's 128.
    assert_eq!((set.len(), set.dim), (30, 1280));

    // Another embedding model, stopped with its progress bar's Cancel: the set from before
    // and the model that made it stay.
    let fp16 = s.embeddings.embedder.clone();
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.session.as_ref().is_some_and(|s| {
            !s.jobs.is_running(labelscope::app::JobKind::Scan)
                && !s.jobs.is_running(labelscope::app::JobKind::Analysis)
        })
    });
    let int8 = repo.join("assets/models/efficientnet_lite0_int8w.json");
    h.state_mut()
        .apply(labelscope::app::AppCommand::OpenEmbedder(int8));
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    step_until(&mut h, Duration::from_secs(120), |app| {
        app.session
            .as_ref()
            .is_some_and(|s| !s.jobs.is_running(labelscope::app::JobKind::Embedder))
    });
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.embeddings.set.as_ref().unwrap().dim, 1280);
    assert_eq!(s.embeddings.embedder, fp16);
    assert!(
        s.messages
            .notes
            .iter()
            .any(|n| n.contains("embedding model was stopped")),
        "{:?}",
        s.messages.notes
    );
}
