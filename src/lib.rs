//! colorize: old black-and-white photographs and films to colour with Zhang, Isola & Efros' network on OpenCV dnn.

pub mod app;
pub mod caffe;
pub mod cli;
pub mod fetch;
pub mod interrupt;
pub mod lab;
pub mod model;
pub mod photos;
pub mod pipeline;
pub mod points;
pub mod progress;
pub mod video;
