//! Writing results so that nothing on disk ever looks finished before it is: atomic files, temporary names that
//! are cleaned up, checks made before any work, and a lock for folders that one run at a time may write.
//!
//! One convention for work in progress: a hidden `.NAME.colorize-TAG.EXT` beside the destination, removed on
//! drop (so on an error or Ctrl-C too) unless it was moved into place.
//!
//! Folders beside outputs may be shared (the README recommends shared storage for shards), so anyone who can write
//! there could plant a link at a name colorize writes. No file is ever opened through one: a file written whole is
//! made under a fresh name with O_EXCL and renamed over whatever held its name (`create_replacing`), and a file
//! kept in place (a lock, a store appended to) is opened with O_NOFOLLOW (`open_in_place`), a link refused.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// A file name's extension in lower case, "" when it has none: kinds of file are told apart by it, whatever case
/// the user typed it in.
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The folder a path lives in; "." for a bare file name.
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A new file under a fresh name beside `path`, made with O_EXCL (so through no link), to be renamed to `path`.
fn fresh_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = parent(path);
    // Files get the mode any other program's would (0666 less the umask), not tempfile's private 0600.
    tempfile::Builder::new()
        .prefix(".colorize-")
        .suffix(".partial")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so `path` is whole or absent. Whatever
/// held the name, a planted link too, is replaced, never written through.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = fresh_beside(path)?;
    // The inner file's errors name no path; the temporary name would only confuse.
    std::io::Write::write_all(tmp.as_file_mut(), bytes).with_context(|| format!("cannot write {}", path.display()))?;
    // The error alone: tempfile's wraps it and names it again as its source, which would say it twice.
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Creates `path` empty and open for writing, for a file written as the run goes (appended to, or handed to
/// OpenCV or ffmpeg by name): made under a fresh name with O_EXCL and renamed into place, so whatever held the
/// name, a planted link too, is replaced, never written through.
pub fn create_replacing(path: &Path) -> Result<File> {
    fresh_beside(path)?
        .persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Opens the file colorize keeps at `path` in place (a lock, a store it appends to) with `options`, never through
/// a link: a link at `path`, or anything but a regular file, is refused naming it.
pub fn open_in_place(path: &Path, options: &mut OpenOptions) -> Result<File> {
    // O_NONBLOCK: a FIFO planted at the name must not hang the open; a regular file ignores it.
    let opened = options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path);
    let file = match opened {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => bail!(
            "{} is a link, and colorize never writes through one (someone who can write in that folder may have \
             planted it: remove it, or choose another folder)",
            path.display()
        ),
        opened => opened.with_context(|| format!("cannot open {}", path.display()))?,
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        bail!(
            "{} is not a regular file (remove it, or choose another folder)",
            path.display()
        );
    }
    Ok(file)
}

/// Fails unless files can be made in `dir`, creating nothing: the nearest existing folder on its path must
/// take a file. Run before any work, so a long job never fails at its first write.
pub fn check_writable(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("."));
    if !existing.is_dir() {
        bail!(
            "cannot write in {}: {} is not a folder (choose another output)",
            dir.display(),
            existing.display()
        );
    }
    tempfile::Builder::new()
        .prefix(".colorize-probe-")
        .tempfile_in(existing)
        .map(drop)
        .with_context(|| format!("cannot write in {} (choose another output)", dir.display()))
}

/// The longest a file name may be on Linux's file systems, in bytes.
const NAME_MAX: usize = 255;

/// What the longest name colorize gives a file beside an output adds to the output's name:
/// `.NAME.colorize-manifest`, `.NAME.colorize-partial.EXT` and their kin, with room for a long extension.
const BESIDE: usize = 32;

/// Refuses an output file that would replace the input, that is a folder, or whose name leaves no room for the
/// files colorize writes beside it; checks that it can be written.
pub fn check_output(output: &Path, input: &Path) -> Result<()> {
    let length = output.file_name().map_or(0, |n| n.len());
    if length + BESIDE > NAME_MAX {
        bail!(
            "the name of {} is too long: {length} bytes, and the work files beside it add up to {BESIDE} to the \
             {NAME_MAX} a file name may have (choose a shorter name with -o)",
            output.display()
        );
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(output, input) {
        bail!(
            "the output {} is the input; choose another name with -o",
            output.display()
        );
    }
    if output.is_dir() {
        bail!(
            "{} is a folder; name the file to write inside it (for example {})",
            output.display(),
            output.join("film.avi").display()
        );
    }
    check_writable(parent(output))
}

/// `check_output`, and without `--overwrite` no output that exists already.
pub fn refuse_to_clobber(output: &Path, input: &Path, overwrite: bool) -> Result<()> {
    check_output(output, input)?;
    if output.exists() && !overwrite {
        bail!("{} already exists (pass --overwrite to replace it)", output.display());
    }
    Ok(())
}

/// A file under a temporary name beside its destination, removed on drop unless moved into place.
pub struct TempFile {
    path: PathBuf,
    destination: PathBuf,
    file: File,
}

impl TempFile {
    /// Creates `.NAME.colorize-TAG.EXT` beside `destination`, empty, replacing whatever held that name (a file an
    /// interrupted run left, or a planted link), so OpenCV or ffmpeg writing it by name writes this run's file.
    pub fn create(destination: &Path, tag: &str) -> Result<TempFile> {
        let name = destination.file_name().unwrap_or_default().to_string_lossy();
        let ext = destination.extension().unwrap_or_default().to_string_lossy();
        let path = parent(destination).join(format!(".{name}.colorize-{tag}.{ext}"));
        // Tracked before it exists: an interrupt from now on removes it.
        crate::interrupt::track(&path);
        let file = create_replacing(&path).inspect_err(|_| crate::interrupt::untrack(&path))?;
        Ok(TempFile {
            path,
            destination: destination.to_owned(),
            file,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file, open for writing.
    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn destination(&self) -> &Path {
        &self.destination
    }

    pub fn persist(mut self) -> Result<PathBuf> {
        let path = std::mem::take(&mut self.path);
        let moved = std::fs::rename(&path, &self.destination);
        if moved.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        // Only now: a second interrupt until then removes it.
        crate::interrupt::untrack(&path);
        moved.with_context(|| format!("cannot move the finished file to {}", self.destination.display()))?;
        Ok(self.destination.clone())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
            crate::interrupt::untrack(&self.path);
        }
    }
}

/// An exclusive lock on a folder, held until dropped: two runs writing one folder would mix their files.
pub struct FolderLock {
    _files: (File, Option<File>),
}

impl FolderLock {
    /// Locks `dir` for one run, or, with `part`, for that part of a run: parts share the folder with each other
    /// but not with a whole run or with the same part run twice.
    pub fn acquire(dir: &Path, part: Option<&str>) -> Result<FolderLock> {
        let busy = || busy(dir, part);
        let folder = lock(&dir.join(".colorize-lock"), part.is_some())?.ok_or_else(busy)?;
        let part = match part {
            Some(part) => Some(lock(&dir.join(format!(".colorize-lock-{part}")), false)?.ok_or_else(busy)?),
            None => None,
        };
        Ok(FolderLock { _files: (folder, part) })
    }

    /// Refuses a folder another run holds, before the long preparations of a run that would be refused later.
    pub fn check_free(dir: &Path, part: Option<&str>) -> Result<()> {
        if FolderLock::held(dir, part) {
            return Err(busy(dir, part));
        }
        Ok(())
    }

    /// Whether another run holds a lock `acquire` would need, now; creates nothing.
    pub fn held(dir: &Path, part: Option<&str>) -> bool {
        let taken = |path: &Path, shared: bool| {
            let mode = if shared { libc::LOCK_SH } else { libc::LOCK_EX };
            // SAFETY: flock on a descriptor this closure owns; the lock goes when it is dropped.
            open_in_place(path, OpenOptions::new().read(true))
                .is_ok_and(|file| unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) } != 0)
        };
        taken(&dir.join(".colorize-lock"), part.is_some())
            || part.is_some_and(|part| taken(&dir.join(format!(".colorize-lock-{part}")), false))
    }
}

/// The error of a folder, or a part's share of it, that another run holds.
fn busy(dir: &Path, part: Option<&str>) -> anyhow::Error {
    anyhow!(
        "{} is being written by another colorize run{} (wait for it to finish, or choose another folder)",
        dir.display(),
        part.map(|p| format!(" of shard {p}")).unwrap_or_default()
    )
}

/// An flock on `path` (shared or exclusive); None when another run holds it. The file is opened in place, never
/// truncated or replaced: other runs lock the same file.
fn lock(path: &Path, shared: bool) -> Result<Option<File>> {
    let file = open_in_place(path, OpenOptions::new().read(true).write(true).create(true))?;
    let mode = if shared { libc::LOCK_SH } else { libc::LOCK_EX };
    // SAFETY: flock on a file descriptor this function owns; the lock goes with the descriptor.
    Ok((unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) } == 0).then_some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_locked_once_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!FolderLock::held(dir.path(), None));
        let lock = FolderLock::acquire(dir.path(), None).unwrap();
        assert!(FolderLock::held(dir.path(), None) && FolderLock::held(dir.path(), Some("0-of-2")));
        let err = FolderLock::acquire(dir.path(), None).err().unwrap();
        assert!(err.to_string().contains("another colorize run"), "{err}");
        assert!(FolderLock::acquire(dir.path(), Some("0-of-2")).is_err());
        drop(lock);
        // Shards share the folder, but each runs once, and a whole run waits for them all.
        let first = FolderLock::acquire(dir.path(), Some("0-of-2")).unwrap();
        let _second = FolderLock::acquire(dir.path(), Some("1-of-2")).unwrap();
        assert!(FolderLock::acquire(dir.path(), Some("0-of-2")).is_err());
        assert!(FolderLock::acquire(dir.path(), None).is_err());
        assert!(FolderLock::held(dir.path(), Some("0-of-2")) && !FolderLock::held(dir.path(), Some("2-of-3")));
        drop(first);
        FolderLock::acquire(dir.path(), Some("0-of-2")).unwrap();
    }

    #[test]
    fn a_temporary_file_is_gone_unless_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("film.mp4");
        let tmp = TempFile::create(&dest, "muxed").unwrap();
        assert_eq!(tmp.path(), dir.path().join(".film.mp4.colorize-muxed.mp4"));
        std::fs::write(tmp.path(), b"x").unwrap();
        drop(tmp);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let tmp = TempFile::create(&dest, "muxed").unwrap();
        std::fs::write(tmp.path(), b"x").unwrap();
        assert_eq!(tmp.persist().unwrap(), dest);
        assert_eq!(std::fs::read(&dest).unwrap(), b"x");
    }

    #[test]
    fn a_planted_link_is_replaced_or_refused_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let plant = |name: &str| {
            let path = dir.path().join(name);
            std::os::unix::fs::symlink(&victim, &path).unwrap();
            path
        };
        let is_link = |path: &Path| std::fs::symlink_metadata(path).unwrap().is_symlink();
        let written = plant("written");
        write_atomically(&written, b"new").unwrap();
        assert!(!is_link(&written));
        let created = plant("created");
        create_replacing(&created).unwrap();
        assert!(!is_link(&created));
        let temporary = plant(".film.avi.colorize-partial.avi");
        let _tmp = TempFile::create(&dir.path().join("film.avi"), "partial").unwrap();
        assert!(!is_link(&temporary));
        let kept = plant("kept");
        let err = open_in_place(&kept, OpenOptions::new().append(true)).unwrap_err();
        assert!(err.to_string().contains("is a link"), "{err}");
        plant(".colorize-lock");
        let err = FolderLock::acquire(dir.path(), None).err().unwrap();
        assert!(err.to_string().contains("is a link"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    /// Issue 30, weak: a store replaced by a folder said "Is a directory" twice.
    #[test]
    fn a_write_over_a_folder_says_why_once() {
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", write_atomically(dir.path(), b"x").unwrap_err());
        assert_eq!(err.matches("os error").count(), 1, "{err}");
    }

    #[test]
    fn written_files_get_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomically(&path, b"hello").unwrap();
        // SAFETY: umask is read by setting and restoring it; no other thread of this test changes it.
        let umask = unsafe {
            let old = libc::umask(0o022);
            libc::umask(old);
            old
        };
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !(umask as u32));
    }

    #[test]
    fn a_folder_or_the_input_is_no_output() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.avi");
        std::fs::write(&input, b"film").unwrap();
        let err = refuse_to_clobber(dir.path(), &input, true).unwrap_err();
        assert!(err.to_string().contains("is a folder"), "{err}");
        assert!(refuse_to_clobber(&input, &input, true).is_err());
        assert!(refuse_to_clobber(&dir.path().join("out.avi"), &input, false).is_ok());
    }
}
