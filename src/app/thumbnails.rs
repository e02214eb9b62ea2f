//! Gallery thumbnails: decoded and downscaled on named background workers, uploaded to the GPU
//! once, evicted least-recently-used when over budget. The UI posts the set of thumbnails it
//! wants each frame (replacing the previous set, so scrolled-past requests are dropped); workers
//! take the newest first.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use egui::{ColorImage, TextureHandle, TextureOptions};

/// Decoded thumbnail pixels or the decode error.
type ThumbResult = Result<ColorImage, String>;

struct Queue {
    wanted: VecDeque<(usize, PathBuf)>,
    /// Taken by a worker, result not yet received by the UI.
    taken: HashSet<usize>,
    shutdown: bool,
}

/// The thumbnail cache of one dataset.
pub struct Thumbnails {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    results: crossbeam_channel::Receiver<(usize, ThumbResult)>,
    textures: HashMap<usize, (TextureHandle, u64)>,
    failed: HashMap<usize, String>,
    frame: u64,
    /// Wanted by panels drawn before the gallery this frame (the detail view's strip).
    extra: Vec<(usize, PathBuf)>,
    /// Most textures kept at once.
    pub budget: usize,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Thumbnails {
    /// Starts `num_workers` decode threads producing `thumb_px` thumbnails.
    pub fn new(
        num_workers: usize,
        thumb_px: u32,
        budget: usize,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        let queue = Arc::new((
            Mutex::new(Queue {
                wanted: VecDeque::new(),
                taken: HashSet::new(),
                shutdown: false,
            }),
            Condvar::new(),
        ));
        let (tx, rx) = crossbeam_channel::bounded(256);
        let workers = (0..num_workers.max(1))
            .filter_map(|i| {
                let (queue, tx, wake) = (queue.clone(), tx.clone(), wake.clone());
                std::thread::Builder::new()
                    .name(format!("thumbnail-{i}"))
                    .spawn(move || worker(&queue, &tx, thumb_px, wake.as_ref()))
                    .ok()
            })
            .collect();
        Self {
            queue,
            results: rx,
            textures: HashMap::new(),
            failed: HashMap::new(),
            frame: 0,
            extra: Vec::new(),
            budget,
            workers,
        }
    }

    /// Call once per frame before drawing: uploads finished thumbnails (bounded work) and evicts.
    pub fn begin_frame(&mut self, ctx: &egui::Context) {
        self.frame += 1;
        let started = std::time::Instant::now();
        while let Ok((i, result)) = self.results.try_recv() {
            if let Ok(mut q) = self.queue.0.lock() {
                q.taken.remove(&i);
            }
            match result {
                Ok(img) => {
                    let tex = ctx.load_texture(format!("thumb-{i}"), img, TextureOptions::LINEAR);
                    self.textures.insert(i, (tex, self.frame));
                }
                Err(e) => {
                    self.failed.insert(i, e);
                }
            }
            if started.elapsed().as_millis() > 4 {
                ctx.request_repaint();
                break;
            }
        }
        if self.textures.len() > self.budget {
            let mut by_age: Vec<(u64, usize)> =
                self.textures.iter().map(|(i, (_, f))| (*f, *i)).collect();
            by_age.sort_unstable();
            for (_, i) in by_age.into_iter().take(self.textures.len() - self.budget) {
                self.textures.remove(&i);
            }
        }
    }

    /// Textures held.
    pub fn texture_count(&self) -> usize {
        self.textures.len()
    }

    /// The texture of sample `i`, marking it used; `None` while loading or after a failure.
    pub fn get(&mut self, i: usize) -> Option<&TextureHandle> {
        let frame = self.frame;
        self.textures.get_mut(&i).map(|(t, f)| {
            *f = frame;
            &*t
        })
    }

    /// The decode error of sample `i`, if its thumbnail failed.
    pub fn error(&self, i: usize) -> Option<&str> {
        self.failed.get(&i).map(String::as_str)
    }

    /// Adds thumbnails wanted outside the gallery (they join the gallery's next request).
    pub fn also_want(&mut self, wanted: impl IntoIterator<Item = (usize, PathBuf)>) {
        self.extra.extend(wanted);
    }

    /// Replaces the wanted set with `wanted` (visible samples without a texture), newest first,
    /// plus what [`Thumbnails::also_want`] added since the last request.
    pub fn request(&mut self, wanted: Vec<(usize, PathBuf)>) {
        let extra = std::mem::take(&mut self.extra);
        if let Ok(mut q) = self.queue.0.lock() {
            let fresh: VecDeque<(usize, PathBuf)> = extra
                .into_iter()
                .chain(wanted)
                .filter(|(i, _)| {
                    !self.textures.contains_key(i)
                        && !self.failed.contains_key(i)
                        && !q.taken.contains(i)
                })
                .collect();
            q.wanted = fresh;
            self.queue.1.notify_all();
        }
    }
}

impl Drop for Thumbnails {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.0.lock() {
            q.shutdown = true;
            self.queue.1.notify_all();
        }
        for w in self.workers.drain(..) {
            // Workers exit at their next queue check; a decode in progress finishes first.
            drop(w);
        }
    }
}

fn worker(
    queue: &(Mutex<Queue>, Condvar),
    tx: &crossbeam_channel::Sender<(usize, ThumbResult)>,
    thumb_px: u32,
    wake: &(dyn Fn() + Send + Sync),
) {
    loop {
        let job = {
            let Ok(mut q) = queue.0.lock() else { return };
            loop {
                if q.shutdown {
                    return;
                }
                if let Some(job) = q.wanted.pop_front() {
                    q.taken.insert(job.0);
                    break job;
                }
                q = match queue.1.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        let (i, path) = job;
        let result = load_thumbnail(&path, thumb_px);
        if tx.send((i, result)).is_err() {
            return;
        }
        wake();
    }
}

/// Decodes `path` and downscales it so its longer side is at most `thumb_px`
/// ([`crate::dataset::thumbnail::thumbnail`]).
pub fn load_thumbnail(path: &std::path::Path, thumb_px: u32) -> ThumbResult {
    let rgba = crate::dataset::thumbnail::thumbnail(path, thumb_px).map_err(|e| e.to_string())?;
    Ok(ColorImage::from_rgba_unmultiplied(
        [rgba.width() as usize, rgba.height() as usize],
        rgba.as_raw(),
    ))
}
