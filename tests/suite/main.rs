//! The integration tests, as one binary: each linking OpenCV cost more than running most of them. One module per
//! theme; `cargo test --test suite shards::` runs one of them.

mod support;

mod batch;
mod bundle;
mod errors;
mod fetch;
mod fidelity;
mod film;
mod fuzz;
mod hostile;
mod image;
mod keyframes;
mod kubernetes;
mod model;
mod shards;
mod sheet;
mod slurm;
mod steadiness;
mod temperature;
mod video;
