//! What every record shares: where one beside a film is kept, how its first line names its kind and version, and
//! the checksum that tells a whole record from a damaged one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

/// `.NAME.colorize-WHAT` beside `film` (or a shard's part of one): its record of `what`.
pub fn beside(film: &Path, what: &str) -> PathBuf {
    let name = film.file_name().unwrap_or_default().to_string_lossy();
    film.with_file_name(format!(".{name}.colorize-{what}"))
}

/// Checks a record's `first` line against `magic`, this colorize's `colorize-KIND VERSION`: a record of another
/// version, or no record of that kind at all, is named as such.
pub fn check_magic(first: &str, magic: &str) -> Result<()> {
    if first == magic {
        return Ok(());
    }
    let kind = magic.rsplit_once(' ').map_or(magic, |(kind, _)| kind);
    match first.strip_prefix(kind).and_then(|rest| rest.strip_prefix(' ')) {
        Some(version) => bail!("was written by another version of colorize (record version {version})"),
        None => bail!("is damaged (not a {kind} record)"),
    }
}

/// The checksum of every record: the first 8 bytes of the SHA-256 of what it guards.
pub fn checksum(bytes: &[u8]) -> [u8; 8] {
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&Sha256::digest(bytes)[..8]);
    sum
}

/// The checksum of `bytes` as 16 hex digits, for records kept as text.
pub fn checksum_hex(bytes: &[u8]) -> String {
    checksum(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What ends a sealed record: this, the checksum of all before it in hex, and a newline.
const SEAL: &str = "checksum ";
const SEALED: usize = SEAL.len() + 16 + 1;

/// `record` with its checksum appended as a last line, `checksum HEX`.
pub fn seal(mut record: Vec<u8>) -> Vec<u8> {
    let line = format!("{SEAL}{}\n", checksum_hex(&record));
    record.extend_from_slice(line.as_bytes());
    record
}

/// The record `sealed` holds when its checksum matches; a record cut short or changed since is damaged.
pub fn unseal(sealed: &[u8]) -> Result<&[u8]> {
    let Some(at) = sealed.len().checked_sub(SEALED) else {
        bail!("is damaged (cut short: no checksum)");
    };
    let (record, line) = sealed.split_at(at);
    let want = format!("{SEAL}{}\n", checksum_hex(record));
    if line != want.as_bytes() {
        bail!("is damaged (its checksum does not match: changed or cut short since it was written)");
    }
    Ok(record)
}

/// One line of a record kept a line at a time: the line's checksum in hex, a space, the line.
pub fn seal_line(line: &str) -> String {
    format!("{} {line}", checksum_hex(line.as_bytes()))
}

/// The line `sealed` holds when its checksum matches; None when it was changed or cut short.
pub fn unseal_line(sealed: &str) -> Option<&str> {
    let (sum, line) = sealed.split_once(' ')?;
    (sum == checksum_hex(line.as_bytes())).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_record_reads_back_and_any_change_is_damage() {
        let sealed = seal(b"colorize-x 1\nfield 3\n".to_vec());
        assert_eq!(unseal(&sealed).unwrap(), b"colorize-x 1\nfield 3\n");
        let mut changed = sealed.clone();
        changed[15] ^= 1;
        assert!(unseal(&changed).unwrap_err().to_string().contains("is damaged"));
        assert!(unseal(&sealed[..sealed.len() - 1]).is_err());
        assert!(unseal(b"short").is_err());
        let line = seal_line("{\"index\":2}");
        assert_eq!(unseal_line(&line), Some("{\"index\":2}"));
        assert_eq!(unseal_line(&line.replace('2', "3")), None);
        assert_eq!(unseal_line("no checksum"), None);
    }
}
