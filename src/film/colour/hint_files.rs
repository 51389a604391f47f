//! Which colour hints fall on a film: each file's hints placed on their frames and checked against the film's
//! size, rate and length, a batch's files checked before any film is colorized, and their content digested for
//! the fingerprint.

use std::path::Path;

use anyhow::Result;

use crate::film::io::source::{Source, FALLBACK_FPS};
use crate::hints::{Hint, HintFile};

/// The hints of every file that fall on `film`, each on its frame, checked against the film's frames and size.
pub fn film_hints(film: &Path, files: &[HintFile], source: &Source, fps: f64) -> Result<Vec<(usize, Hint)>> {
    let frames = source.frame_count_hint.map(|n| n as usize);
    let mut hints = Vec::new();
    for file in files {
        hints.extend(file.for_film(film, source.native, source.fps.unwrap_or(fps), frames)?);
    }
    Ok(hints)
}

/// Checks the hints against a batch of films before any is colorized: a scribble fits one film, a `file` names a
/// film of the batch, and every hint lies inside its film (opened for its size, rate and length).
pub fn check_hints(films: &[&Path], files: &[HintFile]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    crate::hints::check_batch(files, films, "film")?;
    for film in films {
        // A film that cannot be opened fails on its own turn, with its own message.
        if let Ok(source) = Source::open(film, None) {
            film_hints(film, files, &source, source.fps.unwrap_or(FALLBACK_FPS))?;
        }
    }
    Ok(())
}

/// The one encoding every digest of placed hints takes (the fingerprint's, and each hinted frame's in the shots'
/// records): per hint its frame (u64), then x, y, a, b and radius (f32), little-endian, in order, into a SHA-256.
pub fn digest_hints<'a>(hints: impl IntoIterator<Item = (usize, &'a Hint)>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    for (frame, h) in hints {
        digest.update((frame as u64).to_le_bytes());
        for value in [h.x, h.y, h.ab[0], h.ab[1], h.radius] {
            digest.update(value.to_le_bytes());
        }
    }
    digest.finalize().into()
}

/// The hints' content, for the fingerprint: every hint's frame, place, colour and radius.
pub fn hints_digest(hints: &[(usize, Hint)]) -> Option<String> {
    (!hints.is_empty()).then(|| crate::model::files::hex(&digest_hints(hints.iter().map(|(frame, h)| (*frame, h)))))
}
