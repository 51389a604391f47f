//! PROVISIONAL: replaced by the graph check from branch h32g.

use anyhow::Result;

pub struct Graph {
    pub input: String,
    pub output: String,
    pub side: i32,
}

pub fn inspect(_bytes: &[u8]) -> Result<Graph> {
    Ok(Graph {
        input: "input".into(),
        output: "output".into(),
        side: 256,
    })
}
