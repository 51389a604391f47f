//! A batch of films: which films a command names (folders expanded, each film once), and the name each film's
//! outputs take: one that is its own, whatever other films of the batch or earlier runs left under its name.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::film::{self, Owner};

/// The films named on the command line, folders expanded, in order, each once; `input_videos/` when none is named.
pub fn inputs(named: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let named = if named.is_empty() {
        let folder = PathBuf::from("input_videos");
        if !folder.is_dir() {
            bail!("no film named and no input_videos/ folder here (name a film, or put films in input_videos/)");
        }
        vec![folder]
    } else {
        named.to_vec()
    };
    let mut films = Vec::new();
    for input in named {
        if input.is_dir() {
            films.extend(folder(&input)?);
        } else {
            films.push(input);
        }
    }
    Ok(once_each(films))
}

/// Refuses, before any work, what is named as a film but is a photo, or the number of a contact sheet's frames
/// given without `=` (`--contact-sheet 5`, which leaves 5 to be taken for a film).
pub fn check_named(named: &[PathBuf], contact_sheet: bool) -> Result<()> {
    for input in named {
        let shown = input.display();
        if input.is_file() && crate::image_io::is_image(input) {
            bail!(
                "{shown} is a photo, not a film (colorize photos with `colorize image`; --contact-sheet takes no file)"
            );
        }
        let number = input.to_str().is_some_and(|s| s.parse::<usize>().is_ok());
        if contact_sheet && number && !input.exists() {
            bail!("{shown} is not a film (give the contact sheet's number of frames as --contact-sheet={shown})");
        }
    }
    Ok(())
}

/// The films in a folder, sorted. What looks like a film but is left out is said: a subfolder (not searched), a
/// link to nothing, and colorize's own film of another (`video -o input_videos`), which is an output.
fn folder(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut films = Vec::new();
    for path in paths {
        let shown = path.display();
        if path.is_dir() {
            eprintln!("note: {shown} is a folder, left out (name it to colorize the films in it)");
        } else if !film::is_film(&path) {
            continue;
        } else if !path.exists() {
            eprintln!("note: {shown} is a link to nothing, left out");
        } else if let Some(from) = film::made_by_colorize(&path) {
            eprintln!("note: {shown} is colorize's film of {from}, left out");
        } else if path.is_file() {
            films.push(path);
        }
    }
    if films.is_empty() {
        bail!("{} holds no films ({})", dir.display(), film::EXTENSIONS.join(", "));
    }
    Ok(films)
}

/// The films, each once: a film named as a file, within its folder and as `./file` is one film.
fn once_each(films: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut once = Vec::new();
    for film in films {
        // A film that cannot be found is kept: its own run says so.
        if let Ok(real) = film.canonicalize() {
            if let Some(first) = seen.get(&real) {
                let again = if first == &film {
                    String::new()
                } else {
                    format!(" (as {})", first.display())
                };
                eprintln!("note: {} is named twice{again}; it is colorized once", film.display());
                continue;
            }
            seen.insert(real, film.clone());
        }
        once.push(film);
    }
    once
}

/// Where a film's outputs go under one name, as far as the name decides: the film, the frames folder.
pub struct Places {
    pub film: Option<PathBuf>,
    pub frames: Option<PathBuf>,
}

/// Whether a name's places can take a film.
enum Fit {
    Free,
    /// The film there was made from this input.
    Done,
    /// Another's, and why.
    Taken(String),
}

/// The names given to the films of a batch so far.
#[derive(Default)]
pub struct Names {
    given: HashSet<String>,
}

impl Names {
    /// The first of `stem`, `stem-2`, `stem-3`, ... that no other film of the batch has and whose places (`at`
    /// says where a name puts them) are free or hold this input's (`digest`) outputs; said once when it is not
    /// the stem and the film is still to make.
    pub fn choose(&mut self, input: &Path, digest: Option<&str>, at: impl Fn(&str) -> Places) -> String {
        let stem = input.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let mut why_not_stem = None;
        let mut n = 0;
        loop {
            n += 1;
            let name = if n == 1 { stem.clone() } else { format!("{stem}-{n}") };
            let fit = if self.given.contains(&name) {
                Fit::Taken(format!("another film is named {stem}"))
            } else {
                fit(&at(&name), digest)
            };
            let done = match fit {
                Fit::Taken(why) => {
                    why_not_stem.get_or_insert(why);
                    continue;
                }
                Fit::Free => false,
                Fit::Done => true,
            };
            // A film done already under that name is skipped, and its line names where it is.
            if let Some(why) = why_not_stem.filter(|_| !done) {
                eprintln!("note: {why}; {} is written as {name}", input.display());
            }
            self.given.insert(name.clone());
            return name;
        }
    }
}

/// Whether `places` can take the outputs of the input of content `digest`.
fn fit(places: &Places, digest: Option<&str>) -> Fit {
    if let Some(film) = &places.film {
        match Owner::of_film(film, digest) {
            Owner::This => return Fit::Done,
            Owner::Other(why) => return Fit::Taken(format!("{} {why}", film.display())),
            Owner::Free => {}
        }
    }
    match places.frames.as_deref().map(|d| (d, Owner::of_frames(d, digest))) {
        Some((dir, Owner::Other(why))) => Fit::Taken(format!("{} {why}", dir.display())),
        _ => Fit::Free,
    }
}
