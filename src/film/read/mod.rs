//! The reader stage of the pipeline: frames decoded and analysed in source order (jobs.rs) and keyframes chosen
//! (keys.rs), the same way wherever a run starts, resumes or is split. Imports records, colour, io and base.

pub mod jobs;
pub mod keys;
