//! Progress on stderr for CLI jobs (a redrawn line with rate and ETA on a terminal) and Ctrl-C
//! wiring to the job's cancel flag.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::jobs::JobControl;

/// Prints progress of `job` until dropped, then the job's notices.
pub struct ProgressPrinter {
    job: JobControl,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl ProgressPrinter {
    /// Starts printing progress of `job` labelled `what` (only when stderr is a terminal).
    pub fn start(job: &JobControl, what: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = std::io::stderr().is_terminal().then(|| {
            let (job, what, stop) = (job.clone(), what.to_string(), stop.clone());
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let p = job.progress();
                        let width = 30;
                        let filled = (p.fraction() * width as f32) as usize;
                        let eta = p.eta_secs().map_or("?".to_string(), |s| format!("{s:.0}s"));
                        let stage = job.stage();
                        let what = if stage.is_empty() {
                            what.clone()
                        } else {
                            format!("{what}: {stage}")
                        };
                        eprint!(
                            "\r{what} [{}{}] {}/{} {:.1} img/s ETA {eta}   ",
                            "#".repeat(filled),
                            "-".repeat(width - filled.min(width)),
                            p.num_done,
                            p.num_total,
                            p.items_per_sec()
                        );
                        let _ = std::io::stderr().flush();
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    eprint!("\r{}\r", " ".repeat(80));
                })
                .ok()
        });
        Self {
            job: job.clone(),
            stop,
            handle: handle.flatten(),
        }
    }
}

impl Drop for ProgressPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        for n in self.job.take_notes() {
            eprintln!("notice: {n}");
        }
    }
}

/// Makes Ctrl-C cancel `job` (first press) instead of killing the process.
pub fn cancel_on_ctrl_c(job: &JobControl) {
    let job = job.clone();
    let _ = ctrlc::set_handler(move || {
        eprintln!("\ncancelling (Ctrl-C)...");
        job.cancel();
    });
}
