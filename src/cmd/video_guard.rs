//! What `colorize video` refuses to write, checked before any work: a film another film made, a contact sheet or
//! review page that would replace a file, and a `--report-json` file that is the input, an output, a work file
//! or anything in the frames folder, or that exists already.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::cli::VideoArgs;
use crate::film;
use crate::output;
use crate::report;

/// Refuses the film `-o` names when another film made it, or something other than colorize, unless `--overwrite`
/// says to replace it.
pub fn refuse_anothers(film: &Path, digest: Option<&str>, overwrite: bool) -> Result<()> {
    match film::Owner::of_film(film, digest) {
        film::Owner::Other(why) if !overwrite => bail!(
            "{} {why} (pass --overwrite to replace it, or choose another -o)",
            film.display()
        ),
        _ => Ok(()),
    }
}

/// Refuses, before any work, a contact sheet that would replace a file already beside the film unless
/// `--overwrite` says so. A film that is there already is skipped, sheet and all, so only a film still to make
/// can clobber one.
pub fn check_sheet(args: &VideoArgs, film: &Path) -> Result<()> {
    let sheet = film::sheet_beside(film);
    if args.contact_sheet.is_some() && !args.overwrite && !film.exists() && sheet.exists() {
        bail!("{} already exists (pass --overwrite to replace it)", sheet.display());
    }
    Ok(())
}

/// Refuses, before any work, a review page that would replace a file beside a film still to make, as for sheets.
pub fn check_page(args: &VideoArgs, film: &Path) -> Result<()> {
    let page = report::page_beside(film);
    if args.report && !args.overwrite && !film.exists() && page.exists() {
        bail!("{} already exists (pass --overwrite to replace it)", page.display());
    }
    Ok(())
}

/// Refuses a `--report-json` file that the run could not write, or should not: one in a folder that does not
/// exist, the input, the film or any file the run writes beside it, a work file's name, anything inside the frames
/// folder, or a file already there without `--overwrite`. Like `-o`, before any work.
pub fn check_report_json(args: &VideoArgs, input: &Path, outputs: &film::Outputs) -> Result<()> {
    let Some(json) = &args.report_json else { return Ok(()) };
    let refuse = |why: String| -> Result<()> { bail!("--report-json {}: {why}", json.display()) };
    let folder = output::parent(json);
    let Some(at) = place(json) else {
        return refuse(format!(
            "the folder {} does not exist (create it, or name a file in another folder)",
            folder.display()
        ));
    };
    if json.is_dir() {
        return refuse("is a folder (name the file to write inside it)".into());
    }
    let film = outputs.film();
    let beside_film = film.into_iter().flat_map(|f| {
        [
            (f.to_owned(), "is the film this run writes"),
            (report::page_beside(f), "is the review page this run writes"),
            (film::sheet_beside(f), "is the contact sheet this run writes"),
        ]
    });
    for (path, what) in std::iter::once((input.to_owned(), "is the input film")).chain(beside_film) {
        if place(&path).is_some_and(|p| p == at) {
            return refuse(format!("{what} (name another file)"));
        }
    }
    if json
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains(".colorize-"))
    {
        return refuse("is a name colorize keeps for its work files (name another file)".into());
    }
    let frames = outputs.frames().and_then(|f| f.dir.canonicalize().ok());
    if frames.is_some_and(|dir| at.starts_with(dir)) {
        return refuse(
            "is inside the frames folder, which holds only frames and their records (name a file \
                       elsewhere)"
                .into(),
        );
    }
    if !args.overwrite && std::fs::symlink_metadata(json).is_ok() {
        return refuse("already exists (pass --overwrite to replace it)".into());
    }
    Ok(())
}

/// Where `path` is, its folder's links resolved, so that two names of one file compare equal; None when its
/// folder does not exist.
fn place(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    Some(output::parent(path).canonicalize().ok()?.join(name))
}
