//! Every file colorize keeps beside the frames and the films, each with its own format, version and checks: the
//! fingerprint of what made the frames, the manifest, the resume record, stored predictions, shots as the unit of
//! finishing, the owner of a film's outputs, shards' parts, and what earlier runs left (earlier.rs); where a
//! record is kept, how its version is checked and its checksum (file.rs). Imports colour, io and base.

pub mod colour_state;
pub mod earlier;
pub mod file;
pub mod fingerprint;
pub mod manifest;
pub mod owner;
pub mod parts;
pub mod predictions;
pub mod resume;
pub mod shots;
