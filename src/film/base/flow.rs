//! Dense optical flow as every room uses it: OpenCV's DIS between two gray pictures, the map a flow gives (each
//! pixel's place in the other picture), and a picture moved along such a map.

use anyhow::Result;
use opencv::core::{self, Mat, Ptr, Scalar, Vec2f, CV_32FC2};
use opencv::prelude::*;
use opencv::{imgproc, video};

pub use video::{DISOpticalFlow_PRESET_MEDIUM as MEDIUM, DISOpticalFlow_PRESET_ULTRAFAST as ULTRAFAST};

/// A DIS estimator for one thread: it keeps scratch buffers between calls.
pub struct Dis(Ptr<video::DISOpticalFlow>);

impl Dis {
    /// At `preset`: MEDIUM where colour is carried by it, ULTRAFAST where it only measures.
    pub fn new(preset: i32) -> Result<Dis> {
        Ok(Dis(video::DISOpticalFlow::create(preset)?))
    }

    /// For each pixel of `from`, how far it moved to reach `to`, CV_32FC2.
    pub fn flow(&mut self, from: &Mat, to: &Mat) -> Result<Mat> {
        let mut flow = Mat::default();
        self.0.calc(from, to, &mut flow)?;
        Ok(flow)
    }
}

/// Where each pixel is in the other picture: the `flow` added to the pixel's own place, CV_32FC2.
pub fn map(flow: &Mat) -> Result<Mat> {
    let width = flow.cols().max(1) as usize;
    let places: Vec<Vec2f> = flow
        .data_typed::<Vec2f>()?
        .iter()
        .enumerate()
        .map(|(i, f)| Vec2f::from([(i % width) as f32 + f[0], (i / width) as f32 + f[1]]))
        .collect();
    let mut map = Mat::new_rows_cols_with_default(flow.rows(), flow.cols(), CV_32FC2, Scalar::default())?;
    map.data_typed_mut::<Vec2f>()?.copy_from_slice(&places);
    Ok(map)
}

/// `picture` moved along `map`: each pixel takes the colour at its place in the picture, between pixels
/// bilinear, past the edge the edge's.
pub fn remap(picture: &Mat, map: &Mat) -> Result<Mat> {
    let mut out = Mat::default();
    imgproc::remap(
        picture,
        &mut out,
        map,
        &core::no_array(),
        imgproc::INTER_LINEAR,
        core::BORDER_REPLICATE,
        Scalar::default(),
    )?;
    Ok(out)
}
