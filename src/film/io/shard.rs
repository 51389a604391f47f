//! One of N equal parts of a film, for running it on many machines at once: which part, as the user or the
//! batch engine says, and the frames it covers.

use std::fmt;
use std::str::FromStr;

use anyhow::{bail, ensure, Context, Result};

/// `--shard I/N`, `auto` or `auto/N`, as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    /// From the batch engine's environment; Kubernetes does not export the count, so it is given here.
    Auto(Option<usize>),
}

/// Part `index` (from 0) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// The variables `--shard auto` reads, for the error that says none is set.
const ENGINES: &str = "SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (a Slurm job array), or JOB_COMPLETION_INDEX \
                       with --shard auto/N (a Kubernetes Indexed Job)";

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardSpec, String> {
        let count = |n: &str| -> Result<usize, String> {
            n.parse()
                .ok()
                .filter(|&n| (1..=100_000).contains(&n))
                .ok_or_else(|| format!("'{n}' is not a number of shards from 1 to 100000"))
        };
        match s.split_once('/') {
            None if s == "auto" => Ok(ShardSpec::Auto(None)),
            Some(("auto", n)) => Ok(ShardSpec::Auto(Some(count(n)?))),
            Some((i, n)) => {
                let count = count(n)?;
                let index = i
                    .parse()
                    .ok()
                    .filter(|&i| i < count)
                    .ok_or_else(|| format!("'{i}' is not a shard of {count} (they are 0 to {})", count - 1))?;
                Ok(ShardSpec::Fixed(Shard { index, count }))
            }
            None => Err(format!("'{s}' is not a shard: give I/N (I from 0), auto or auto/N")),
        }
    }
}

impl ShardSpec {
    /// The shard meant, taking `auto` from the batch engine's variables (`var` reads one).
    pub fn resolve(self, var: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let number = |name: &str| -> Result<Option<usize>> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse()
                        .with_context(|| format!("{name}={v} is not a whole number"))
                })
                .transpose()
        };
        let shard = match self {
            ShardSpec::Fixed(shard) => return Ok(shard),
            ShardSpec::Auto(given) => match (number("SLURM_ARRAY_TASK_ID")?, number("JOB_COMPLETION_INDEX")?) {
                (Some(id), _) => {
                    let count = given
                        .or(number("SLURM_ARRAY_TASK_COUNT")?)
                        .context("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: give --shard auto/N")?;
                    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                    let index = id
                        .checked_sub(min)
                        .context("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
                    Shard { index, count }
                }
                (None, Some(index)) => {
                    let count =
                        given.context("JOB_COMPLETION_INDEX is set: give the number of shards as --shard auto/N")?;
                    // The Job's completions are the shards: an index beyond N means N is not its completions.
                    ensure!(
                        index < count,
                        "JOB_COMPLETION_INDEX is {index}, but --shard auto/{count} makes shards 0 to {} (give the \
                         Job's completions as N)",
                        count - 1
                    );
                    Shard { index, count }
                }
                (None, None) => bail!("--shard auto found no batch engine's index: it reads {ENGINES}"),
            },
        };
        if shard.index >= shard.count {
            bail!(
                "this is shard {} of only {} (the Slurm array's indices must be consecutive)",
                shard.index,
                shard.count
            );
        }
        Ok(shard)
    }
}

impl Shard {
    /// The frames `start..end` of this shard when the whole range is `start..start + len`: equal parts, the
    /// larger ones last.
    pub fn range(self, start: usize, len: usize) -> (usize, usize) {
        let at = |i: usize| start + (len as u128 * i as u128 / self.count as u128) as usize;
        (at(self.index), at(self.index + 1))
    }
}

impl Shard {
    /// The shard in file names: `2-of-4`.
    pub fn tag(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn specs_parse_and_refuse_nonsense() {
        assert_eq!("2/4".parse(), Ok(ShardSpec::Fixed(Shard { index: 2, count: 4 })));
        assert_eq!("auto".parse(), Ok(ShardSpec::Auto(None)));
        assert_eq!("auto/8".parse(), Ok(ShardSpec::Auto(Some(8))));
        for bad in ["4/4", "1/0", "-1/4", "x", "auto/0", "1/2/3", ""] {
            assert!(bad.parse::<ShardSpec>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn auto_reads_slurm_and_kubernetes() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
        ];
        assert_eq!(
            ShardSpec::Auto(None).resolve(env(&slurm)).unwrap(),
            Shard { index: 2, count: 4 }
        );
        let k8s = [("JOB_COMPLETION_INDEX", "3")];
        assert_eq!(
            ShardSpec::Auto(Some(16)).resolve(env(&k8s)).unwrap(),
            Shard { index: 3, count: 16 }
        );
        let err = ShardSpec::Auto(None).resolve(env(&k8s)).unwrap_err().to_string();
        assert!(err.contains("auto/N"), "{err}");
        let err = ShardSpec::Auto(None).resolve(env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("SLURM_ARRAY_TASK_ID") && err.contains("JOB_COMPLETION_INDEX"),
            "{err}"
        );
        let beyond = [("JOB_COMPLETION_INDEX", "4")];
        let err = ShardSpec::Auto(Some(4)).resolve(env(&beyond)).unwrap_err().to_string();
        assert!(
            err.contains("JOB_COMPLETION_INDEX is 4, but --shard auto/4 makes shards 0 to 3") && !err.contains("array"),
            "{err}"
        );
    }

    #[test]
    fn ranges_cover_the_whole_without_overlap() {
        for (len, count) in [(241, 4), (10, 3), (3, 5), (173_000, 64)] {
            let mut next = 100;
            for index in 0..count {
                let (start, end) = Shard { index, count }.range(100, len);
                assert_eq!(start, next);
                assert!(end >= start);
                next = end;
            }
            assert_eq!(next, 100 + len);
        }
    }
}
