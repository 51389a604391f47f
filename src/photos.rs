//! Batches of stills: every photo on rayon, one network per worker thread, one failure never stops the rest.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use opencv::core::Mat;
use opencv::prelude::*;
use rayon::prelude::*;

use crate::hints::{self, Hint, HintFile};
use crate::image_io::{self, is_image};
use crate::lab;
use crate::model::{Colorizer, Model, Uncertainty};
use crate::output::write_atomically;
use crate::progress::Progress;
use crate::report::{ModelDigests, PhotoCollector, PhotoRecord, PhotoSettings, Rerun};
use crate::sheet::{self, Sheet};

pub struct Options {
    pub out_dir: PathBuf,
    /// Output extension; None keeps each input's own.
    pub format: Option<String>,
    pub overwrite: bool,
    pub workers: usize,
    /// Pairs on a contact sheet of the batch, if one is wanted.
    pub contact_sheet: Option<usize>,
    pub hints: Vec<HintFile>,
    /// The review page, when asked for: the command line that makes the batch again, which it shows.
    pub report: Option<Rerun>,
}

/// Files as given, and the images directly inside each folder given, in name order. In the output folder
/// (`out_dir`), the colorized copies (`Color_*`) of an earlier run are left out, with a note: they are outputs.
pub fn expand_inputs(inputs: &[PathBuf], out_dir: &Path) -> Result<Vec<PathBuf>> {
    let out_dir = out_dir.canonicalize().ok();
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input).with_context(|| format!("cannot list {}", input.display()))?;
            let is_output_folder = input.canonicalize().ok() == out_dir;
            let mut images: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_image(p))
                .collect();
            let copies = images.len();
            images.retain(|p| {
                !(is_output_folder && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("Color_")))
            });
            if images.len() < copies {
                eprintln!(
                    "note: {} colorized copies (Color_*) in {}, the output folder, are left out",
                    copies - images.len(),
                    input.display()
                );
            }
            images.sort();
            if images.is_empty() {
                bail!(
                    "{} holds no images ({})",
                    input.display(),
                    image_io::EXTENSIONS.join(", ")
                );
            }
            out.extend(images);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

/// Where the colorized copy of `input` goes: `<out_dir>/Color_<name>`.
pub fn output_path(input: &Path, options: &Options) -> PathBuf {
    let stem = input.file_stem().unwrap_or_default().to_string_lossy();
    let ext = options.format.clone().unwrap_or_else(|| {
        input
            .extension()
            .map_or("png".into(), |e| e.to_string_lossy().into_owned())
    });
    options.out_dir.join(format!("Color_{stem}.{ext}"))
}

/// Refuses a batch in which two inputs would be written to one output (`a/x.jpg` and `b/x.jpg`): one of them
/// would silently replace the other.
pub fn check_distinct_outputs(inputs: &[PathBuf], options: &Options) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for input in inputs {
        let output = output_path(input, options);
        if let Some(first) = seen.insert(output.clone(), input) {
            if first != input {
                bail!(
                    "{} and {} would both be written to {} (colorize them into different folders with -o)",
                    first.display(),
                    input.display(),
                    output.display()
                );
            }
        }
    }
    Ok(())
}

/// Where a batch's contact sheet goes, if one is wanted: `contact-sheet.jpg` in the output folder.
fn sheet_path(options: &Options) -> Option<PathBuf> {
    options.contact_sheet.map(|_| options.out_dir.join("contact-sheet.jpg"))
}

/// Where a batch's review page goes, if one is wanted: `report.html` in the output folder.
fn page_path(options: &Options) -> Option<PathBuf> {
    options.report.as_ref().map(|_| options.out_dir.join("report.html"))
}

/// Refuses, before any work, a contact sheet or review page that would replace a file already there (a photo of
/// that name, or an earlier one) unless `--overwrite` says so.
pub fn check_sheet(options: &Options) -> Result<()> {
    for path in sheet_path(options).into_iter().chain(page_path(options)) {
        if path.exists() && !options.overwrite {
            bail!("{} already exists (pass --overwrite to replace it)", path.display())
        }
    }
    Ok(())
}

/// A photo done: where it was written, what was lost on the way, and how many colour hints it took.
pub struct Done {
    pub output: PathBuf,
    pub notes: Vec<String>,
    pub hints: usize,
}

/// What a batch did: how many photos failed, and the contact sheet and review page, if asked for.
pub struct Batch {
    pub failed: usize,
    pub sheet: Option<PathBuf>,
    pub report: Option<PathBuf>,
}

/// Colorizes every photo, handing each result to `report` as soon as it is known.
pub fn colorize_all(
    inputs: &[PathBuf],
    options: &Options,
    model: &Model,
    progress: &Progress,
    report: impl Fn(&Path, &Result<Done>) + Sync,
) -> Result<Batch> {
    let workers = options.workers.max(1).min(inputs.len().max(1));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build()?;
    // One network per pool thread, made up front: rayon's map_init may call its init more than once per thread.
    let nets = (0..workers)
        .map(|_| model.colorizer().map(Mutex::new))
        .collect::<Result<Vec<_>>>()?;
    let picks = options
        .contact_sheet
        .map_or(Vec::new(), |n| sheet::picks(inputs.len(), n));
    let sheet = Mutex::new(Sheet::default());
    let started = std::time::Instant::now();
    let review = (options.report.as_ref()).map(|_| Mutex::new(PhotoCollector::new(inputs.len())));
    let failed = pool.install(|| {
        inputs
            .par_iter()
            .enumerate()
            .map(|(position, input)| {
                let net = &nets[rayon::current_thread_index().unwrap_or(0) % nets.len()];
                let mut net = net.lock().unwrap_or_else(|e| e.into_inner());
                let result = colorize_one(input, options, &mut net).and_then(|(done, before, after, unsure)| {
                    let name = input.file_name().unwrap_or_default().to_string_lossy().into_owned();
                    if let Some(review) = &review {
                        let record = PhotoRecord {
                            index: position,
                            file: name.clone(),
                            size: [before.cols(), before.rows()],
                            uncertainty: None,
                            hints: done.hints,
                        };
                        lock(review).add(record, unsure.as_ref(), &before, &after)?;
                    }
                    if picks.binary_search(&position).is_ok() {
                        lock(&sheet).add(position, &before, &after, name)?;
                    }
                    Ok(done)
                });
                progress.inc();
                report(input, &result);
                usize::from(result.is_err())
            })
            .sum()
    });
    let sheet = sheet.into_inner().unwrap_or_else(|e| e.into_inner());
    let sheet = match sheet_path(options).filter(|_| !sheet.is_empty()) {
        Some(path) => Some(sheet.write(&path).map(|()| path)?),
        None => None,
    };
    let report = match review {
        Some(review) => write_review(review, options, model, started.elapsed().as_secs_f64())?,
        None => None,
    };
    Ok(Batch { failed, sheet, report })
}

/// What a mutex guards: a worker that panicked while holding it left nothing half-done that matters here.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes the batch's review page, `report.html` in the output folder; returns its path.
fn write_review(
    review: Mutex<PhotoCollector>,
    options: &Options,
    model: &Model,
    seconds: f64,
) -> Result<Option<PathBuf>> {
    let (Some(path), Some(rerun)) = (page_path(options), &options.report) else {
        return Ok(None);
    };
    let review = review.into_inner().unwrap_or_else(|e| e.into_inner());
    let identity = model.identity();
    let settings = PhotoSettings {
        rerun: rerun.clone(),
        backend: identity.engine.name().to_string(),
        model: ModelDigests::from(&identity.network),
        seconds,
    };
    let (data, shown) = review.finish(settings);
    crate::report::write_photos(&path, &data, &shown)?;
    Ok(Some(path))
}

/// The hints of every file that fall on `input`, checked against its size.
fn hints_for(input: &Path, image: &Mat, files: &[HintFile]) -> Result<Vec<Hint>> {
    let size = image.size()?;
    let mut hints = Vec::new();
    for file in files {
        hints.extend(file.for_photo(input, size)?);
    }
    Ok(hints)
}

/// Checks the hints against the batch before anything is written: a scribble fits one photo, a `file` names a photo
/// of the batch, and every hint lies inside its photo (which is read for its size).
pub fn check_hints(inputs: &[PathBuf], files: &[HintFile]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let pictures: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    hints::check_batch(files, &pictures, "photo")?;
    for input in inputs {
        if let Ok((image, _)) = image_io::read(input) {
            hints_for(input, &image, files)?;
        }
    }
    Ok(())
}

/// One photo, and the picture before and after; its errors leave naming the input to the caller, so the file is
/// named once.
fn colorize_one(input: &Path, options: &Options, net: &mut Colorizer) -> Result<(Done, Mat, Mat, Option<Uncertainty>)> {
    let output = output_path(input, options);
    if output.exists() && !options.overwrite {
        bail!("{} already exists (pass --overwrite to replace it)", output.display());
    }
    let (image, notes) = image_io::read(input)?;
    let hints = hints_for(input, &image, &options.hints)?;
    let prepared = net.prepare(&image)?;
    let (mut ab, unsure) = match options.report {
        Some(_) if net.doubts() => {
            let (ab, unsure) = net.predict_batch_unsure(&[&prepared.input])?.remove(0);
            (ab, Some(unsure))
        }
        _ => (net.predict(&prepared.input)?, None),
    };
    if !hints.is_empty() {
        ab = hints::spread(&prepared.l, &ab, &hints, hints::PHOTO)?;
    }
    let colour = lab::finish(&prepared.l, &ab, net.recipe())?;
    std::fs::create_dir_all(&options.out_dir)
        .with_context(|| format!("cannot create output folder {}", options.out_dir.display()))?;
    let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("png");
    write_atomically(&output, &image_io::encode(&colour, ext)?)?;
    let done = Done {
        output,
        notes,
        hints: hints.len(),
    };
    Ok((done, image, colour, unsure))
}
