//! What every room of film/ speaks, importing no other room: a frame as it moves through the pipeline (frame.rs),
//! dense optical flow (flow.rs), the motion between two frames that carries colour (motion.rs), cuts and repeated
//! keyframes (scene.rs), the keyframe interval (interval.rs), and the time each stage took (profile.rs).

pub mod flow;
pub mod frame;
pub mod interval;
pub mod motion;
pub mod profile;
pub mod scene;
