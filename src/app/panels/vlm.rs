//! The VLM prompt: endpoint URL and model name; Run starts the background job (progress and
//! Cancel in the top bar, like a model run).

use egui::Key;

use super::super::commands::AppCommand;

/// Draws the VLM fields and the Run button (Enter in a field runs too).
pub fn vlm_ui(
    ui: &mut egui::Ui,
    endpoint: &mut String,
    model: &mut String,
    continuation: &mut bool,
    out: &mut Vec<AppCommand>,
) {
    ui.set_max_width(420.0);
    ui.label(
        "Every image is sent (as a JPEG, longest side 512 px) to an OpenAI-compatible chat \
         completions endpoint (llama-server, vLLM, Ollama), constrained to answer with one of \
         the dataset's labels. Answers are cached per image in the dataset's state folder.",
    );
    let mut enter = false;
    egui::Grid::new("vlm-fields").num_columns(2).show(ui, |ui| {
        let l = ui.label("Endpoint");
        let r = ui.text_edit_singleline(endpoint).labelled_by(l.id);
        enter |= r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.end_row();
        let l = ui.label("Model name");
        let r = ui.text_edit_singleline(model).labelled_by(l.id);
        enter |= r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.end_row();
    });
    ui.checkbox(
        continuation,
        "Score each label as a continuation of the prompt (vLLM; one more request per label)",
    )
    .on_hover_text(
        "Off: each label's probability is read along the generated answer's top log-probabilities          (one request an image; llama-server and vLLM). On: every label's whole answer is scored          from the server's prompt log-probabilities, which vLLM returns and llama-server does not.",
    );
    let ready = !endpoint.trim().is_empty() && !model.trim().is_empty();
    let run = ui.add_enabled(ready, egui::Button::new("Run"));
    if ready && (run.clicked() || enter) {
        out.push(AppCommand::RunVlm {
            endpoint: endpoint.trim().to_string(),
            model: model.trim().to_string(),
            continuation: *continuation,
        });
    }
}
