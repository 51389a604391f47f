//! Colour over time: the painter, the one place a frame's colour is decided from the keyframes, the motion and the
//! hints (painter.rs); hints followed through their shots before the run (tracks.rs); which hints files fall on a
//! film (hint_files.rs). Imports io and base.

pub mod hint_files;
pub mod painter;
pub mod tracks;
