//! A run decided before it starts: every setting resolved and typed (resolve.rs), what it writes (outputs.rs), and what
//! it takes over from earlier runs (take_over.rs). Imports the rooms below it, never write, review or run.

pub mod outputs;
pub mod resolve;
pub mod take_over;
