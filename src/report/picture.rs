//! The pictures a review page shows of a frame: before and after at a size for a page, and where the network
//! was unsure as a heat map; encoded inline as data URIs.

use anyhow::{ensure, Result};
use base64::Engine as _;
use opencv::core::{Mat, Size, Vector, CV_8U};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

/// Width of the pictures on the page: enough to see a coat's colour, small enough that a feature's page stays
/// a few megabytes.
const WIDTH: i32 = 480;
/// JPEG quality of the pictures: colour blotches show, the page stays small.
const QUALITY: i32 = 82;

/// A frame the page shows.
pub struct Shown {
    pub index: usize,
    pub before: Mat,
    pub after: Mat,
    /// The network's uncertainty on its own grid, 0..=1 (keyframes only).
    pub heat: Option<Mat>,
}

impl Shown {
    /// Copies of the pictures at the page's size.
    pub fn new(index: usize, before: &Mat, after: &Mat, heat: Option<&Mat>) -> Result<Shown> {
        Ok(Shown {
            index,
            before: smaller(before)?,
            after: smaller(after)?,
            heat: heat.map(Mat::try_clone).transpose()?,
        })
    }

    pub fn before_uri(&self) -> Result<String> {
        jpeg_uri(&self.before)
    }

    pub fn after_uri(&self) -> Result<String> {
        jpeg_uri(&self.after)
    }

    /// The heat map, dark where the network was sure and bright where it was not; the browser stretches it
    /// over the picture, as the network's square grid stands for the whole frame.
    pub fn heat_uri(&self) -> Result<Option<String>> {
        let Some(heat) = &self.heat else { return Ok(None) };
        let mut levels = Mat::default();
        heat.convert_to(&mut levels, CV_8U, 255.0, 0.0)?;
        let mut coloured = Mat::default();
        imgproc::apply_color_map(&levels, &mut coloured, imgproc::COLORMAP_INFERNO)?;
        Ok(Some(uri(&coloured, ".png", "image/png", &Vector::new())?))
    }
}

fn smaller(picture: &Mat) -> Result<Mat> {
    let size = picture.size()?;
    ensure!(size.width > 0 && size.height > 0, "an empty picture");
    if size.width <= WIDTH {
        return Ok(picture.try_clone()?);
    }
    let height = ((size.height as f64 * WIDTH as f64 / size.width as f64).round() as i32).max(1);
    let mut small = Mat::default();
    imgproc::resize(
        picture,
        &mut small,
        Size::new(WIDTH, height),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    Ok(small)
}

fn jpeg_uri(picture: &Mat) -> Result<String> {
    let params = Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, QUALITY]);
    uri(picture, ".jpg", "image/jpeg", &params)
}

fn uri(picture: &Mat, ext: &str, mime: &str, params: &Vector<i32>) -> Result<String> {
    let mut bytes = Vector::<u8>::new();
    ensure!(
        imgcodecs::imencode(ext, picture, &mut bytes, params)?,
        "OpenCV could not encode a picture for the page"
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes.as_slice());
    Ok(format!("data:{mime};base64,{encoded}"))
}
