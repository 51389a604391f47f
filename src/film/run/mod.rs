//! A film's run from start to end (colorize.rs), and whether a film already made is made again (refinish.rs): the
//! top room, which nothing in film/ imports.

pub mod colorize;
pub mod refinish;
