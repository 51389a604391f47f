//! The film's files as such: the source decoded (source.rs, probe.rs), the film written under a temporary name
//! (writer.rs) and finished with its sound (finish.rs), the frames folder and its lock (frame_dir.rs), and which
//! shard of a film a run is (shard.rs). Imports only base.

pub mod finish;
pub mod frame_dir;
pub mod probe;
pub mod shard;
pub mod source;
pub mod writer;
