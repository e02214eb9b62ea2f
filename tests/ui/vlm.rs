//! Classifying with a VLM endpoint from the window: File menu, prompt, background job, metrics.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use labelscope::app::{AppCommand, Prompt};

use crate::common;
use crate::common::ui::{predictions_done, step_until};

#[test]
fn file_menu_vlm_prompt_runs_the_endpoint_and_shows_its_metrics() {
    let dir = tempfile::tempdir().unwrap();
    common::cat_dog(dir.path(), 5);
    // Every image is answered "cat": the 2 cats are right, the 3 dogs wrong.
    let answers = (0..5)
        .map(|_| (200, common::completion("{\"label\": \"cat\"}")))
        .collect();
    let (url, seen) = common::canned_vlm_server(answers);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    h.run_steps(3);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Classify with a VLM endpoint…").click();
    h.run_steps(2);
    assert!(
        matches!(h.state().prompt, Some(Prompt::Vlm { .. })),
        "the menu opens the VLM prompt"
    );
    // Fill the fields (typing is exercised by the other prompts' tests).
    h.state_mut().prompt = Some(Prompt::Vlm {
        endpoint: url.clone(),
        model: "tiny-vlm".into(),
        continuation: false,
    });
    h.run_steps(2);
    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(h.state().prompt.is_none(), "Run closes the prompt");
    step_until(&mut h, Duration::from_secs(60), predictions_done);

    let s = h.state().session.as_ref().unwrap();
    let m = s.predictions.metrics.as_ref().unwrap();
    assert_eq!(m.num_evaluated, 5);
    assert!((m.accuracy - 0.4).abs() < 1e-9, "{}", m.accuracy);
    h.get_by_label("VLM: tiny-vlm");
    h.get_by_label("40.00%");
    // No logprobs from this server: no confidence, so no ECE and no latency instead of zeros.
    assert_eq!(m.num_calibrated, 0);
    assert_eq!(
        h.query_all_by_label("–").count(),
        2,
        "ECE and latency show a dash"
    );
    let requests = seen.lock().unwrap();
    assert_eq!(requests.len(), 5);
    assert!(requests.iter().all(|r| r["model"] == "tiny-vlm"));
    assert_eq!(
        h.state().prefs.vlm,
        Some((url, "tiny-vlm".to_string())),
        "the endpoint is remembered for next time"
    );
    drop(requests);
    // The detail view says why there is no confidence.
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(3);
    h.get_by_label("No confidence: the server sent no log-probabilities");

    // A second run against an endpoint nobody answers fails, and puts back the predictions it
    // replaced instead of leaving an empty set (Accuracy 0.00%).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    h.state_mut().prompt = Some(Prompt::Vlm {
        endpoint: format!("http://127.0.0.1:{port}"),
        model: "down-vlm".into(),
        continuation: false,
    });
    h.run_steps(2);
    h.get_by_label("Run").click();
    h.run_steps(2);
    // While it runs without an answer the last results stay shown (not 0.00%).
    for _ in 0..20 {
        let s = h.state().session.as_ref().unwrap();
        if !s.jobs.is_running(labelscope::app::JobKind::Predict) {
            break;
        }
        let m = s.predictions.metrics.as_ref().unwrap();
        assert!((m.accuracy - 0.4).abs() < 1e-9, "mid-run: {}", m.accuracy);
        h.run_steps(1);
    }
    step_until(&mut h, Duration::from_secs(60), predictions_done);
    let s = h.state().session.as_ref().unwrap();
    assert!(
        s.messages
            .error
            .as_deref()
            .is_some_and(|e| e.contains("all failed")),
        "{:?}",
        s.messages.error
    );
    let m = s.predictions.metrics.as_ref().unwrap();
    assert_eq!(m.num_evaluated, 5, "the previous predictions are back");
    assert!((m.accuracy - 0.4).abs() < 1e-9, "{}", m.accuracy);
    assert_eq!(s.predictions.set.as_ref().unwrap().name, "tiny-vlm");
}

/// The prompt's continuation box runs the VLM with each label scored as a continuation, and
/// the detail view says that is what made the confidence.
#[test]
fn continuation_scoring_from_the_prompt_is_named_in_the_detail_view() {
    let dir = tempfile::tempdir().unwrap();
    common::cat_dog(dir.path(), 3);
    let (url, seen) = common::fake_vllm::fake_vllm(vec!["cat".into(), "dog".into()]);
    let mut h = crate::common::ui::app_on_folder(dir.path());
    h.run_steps(3);
    h.state_mut().prompt = Some(Prompt::Vlm {
        endpoint: url,
        model: "fake-vllm".into(),
        continuation: false,
    });
    h.run_steps(2);
    h.get_by_label_contains("Score each label as a continuation")
        .click();
    h.run_steps(2);
    h.get_by_label("Run").click();
    h.run_steps(2);
    step_until(&mut h, Duration::from_secs(60), predictions_done);
    assert_eq!(
        seen.lock().unwrap().len(),
        3 * 3,
        "an answer and two labels an image"
    );
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.predictions.metrics.as_ref().unwrap().num_calibrated, 3);
    h.state_mut().apply(AppCommand::SelectPosition(0));
    h.state_mut().apply(AppCommand::OpenDetail);
    h.run_steps(3);
    h.get_by_label_contains("scored as a continuation of the prompt");
}
