//! The integration tests, a module per theme, in one binary so that OpenCV is linked once rather than once per
//! file (a binary per file spent longer linking than most of them spend testing). `cargo test --test suite
//! shards::` runs one theme. libtest runs the tests on parallel threads of this one process: a test changes no
//! process-wide state (environment, current folder, signal handlers) and takes its own temporary folder and port.

mod support;

mod batch;
mod bundle;
mod ddcolor;
mod ddcolor_files;
mod ddcolor_film;
mod ddcolor_review;
mod errors;
mod fetch;
mod fetch_ddcolor;
mod fidelity;
mod film;
mod fuzz;
mod hints;
mod hints_film;
mod hostile;
mod image;
mod keyframes;
mod kubernetes;
mod layout;
mod model;
mod parts;
mod refinish;
mod report;
mod report_page;
mod safe_files;
mod shards;
mod sheet;
mod slurm;
mod steadiness;
mod temperature;
mod video;
