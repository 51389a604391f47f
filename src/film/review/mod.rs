//! What a review page shows of a film: each frame's record gathered as the sink delivers it (gather.rs), the colour
//! change the motion does not explain (change.rs), and the page `assemble` writes from the records (assembled.rs).
//! Imports plan and the rooms below it.

pub mod assembled;
pub mod change;
pub mod gather;
