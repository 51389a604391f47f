//! colorize: old black-and-white photographs and films to colour with Zhang, Isola & Efros' network on OpenCV dnn.

pub mod cli;
pub mod cmd;
pub mod fetch;
pub mod film;
pub mod hints;
pub mod image_io;
pub mod interrupt;
pub mod lab;
pub mod model;
pub mod output;
pub mod photos;
pub mod pipeline;
pub mod position;
pub mod progress;
pub mod report;
#[cfg(test)]
mod shared_files;
pub mod sheet;
pub mod threads;
