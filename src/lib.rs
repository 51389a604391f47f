//! colorize: old black-and-white photographs and films to colour with Zhang, Isola & Efros' network on OpenCV dnn.

pub mod caffe;
pub mod lab;
pub mod model;
pub mod points;
