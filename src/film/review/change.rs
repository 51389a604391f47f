//! Colour change between consecutive finished frames that the motion does not explain: each frame compared in
//! CIE Lab with the one before it moved along the optical flow between the two. What a review page calls a
//! frame's stability; measured only when a page is asked for.

use anyhow::Result;
use opencv::core::{Mat, Size, Vec2f, Vec3f, CV_32F, CV_32FC3};
use opencv::imgproc;
use opencv::prelude::*;

use crate::film::base::flow::{self, Dis};
use crate::film::base::scene::Shot;

/// Width the frames are compared at: colour that jumps is seen at any size, and flow this small costs about a
/// millisecond a frame.
const WIDTH: i32 = 160;

/// The last frame, as it is compared.
struct Seen {
    gray: Mat,
    lab: Mat,
}

pub struct Change {
    dis: Dis,
    size: Size,
    last: Option<Seen>,
}

impl Change {
    /// For frames of `frame` size.
    pub fn new(frame: Size) -> Result<Change> {
        let width = frame.width.clamp(1, WIDTH);
        let height = ((frame.height as f64 * width as f64 / frame.width.max(1) as f64).round() as i32).max(1);
        Ok(Change {
            dis: Dis::new(flow::ULTRAFAST)?,
            size: Size::new(width, height),
            last: None,
        })
    }

    /// The mean colour difference (CIE76 delta E, lightness included) between `bgr` and the frame before it moved
    /// along the motion, over the pixels whose place in the frame before is inside it. None where there is nothing
    /// to compare with: the first frame, and the first of a shot, whose change no motion explains.
    pub fn measure(&mut self, bgr: &Mat, shot: Shot) -> Result<Option<f64>> {
        let now = self.seen(bgr)?;
        let change = match self.last.take() {
            Some(last) if shot == Shot::Continues => Some(self.unexplained(&now, &last)?),
            _ => None,
        };
        self.last = Some(now);
        Ok(change)
    }

    /// `measure` with the change kept in `slot`, made for the size of the first frame measured.
    pub fn measure_in(slot: &mut Option<Change>, bgr: &Mat, shot: Shot) -> Result<Option<f64>> {
        let change = match slot {
            Some(change) => change,
            None => slot.insert(Change::new(bgr.size()?)?),
        };
        change.measure(bgr, shot)
    }

    fn seen(&self, bgr: &Mat) -> Result<Seen> {
        let mut small = Mat::default();
        imgproc::resize(bgr, &mut small, self.size, 0.0, 0.0, imgproc::INTER_AREA)?;
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        let mut unit = Mat::default();
        small.convert_to(&mut unit, CV_32FC3, 1.0 / 255.0, 0.0)?;
        let mut lab = Mat::default();
        imgproc::cvt_color_def(&unit, &mut lab, imgproc::COLOR_BGR2Lab)?;
        Ok(Seen { gray, lab })
    }

    fn unexplained(&mut self, now: &Seen, last: &Seen) -> Result<f64> {
        let map = flow::map(&self.dis.flow(&now.gray, &last.gray)?)?;
        let (width, height) = (self.size.width as f32, self.size.height as f32);
        let inside: Vec<bool> = map
            .data_typed::<Vec2f>()?
            .iter()
            .map(|p| p[0] >= 0.0 && p[1] >= 0.0 && p[0] <= width - 1.0 && p[1] <= height - 1.0)
            .collect();
        let moved = flow::remap(&last.lab, &map)?;
        let (mut sum, mut count) = (0.0f64, 0usize);
        let pixels = now.lab.data_typed::<Vec3f>()?.iter().zip(moved.data_typed::<Vec3f>()?);
        for ((a, b), _) in pixels.zip(&inside).filter(|(_, &i)| i) {
            let d = (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f32>().sqrt();
            sum += f64::from(d);
            count += 1;
        }
        debug_assert_eq!(now.lab.depth(), CV_32F);
        Ok(if count == 0 { 0.0 } else { sum / count as f64 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{self, Scalar};

    /// A colour picture with something to follow: blobs of several colours on a gradient, `shift` pixels right.
    fn scene(shift: i32, tint: f64) -> Mat {
        let size = Size::new(320, 240);
        let mut m = Mat::new_size_with_default(size, core::CV_8UC3, Scalar::all(0.0)).unwrap();
        for y in 0..size.height {
            let level = 40.0 + 120.0 * y as f64 / size.height as f64;
            imgproc::line(
                &mut m,
                core::Point::new(0, y),
                core::Point::new(size.width - 1, y),
                Scalar::new(level, level * 0.8, level * 0.6, 0.0),
                1,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        for (k, colour) in [
            (0, (200.0, 60.0, 30.0)),
            (1, (40.0, 180.0, 90.0)),
            (2, (30.0, 90.0, 220.0)),
        ] {
            let centre = core::Point::new(70 + 90 * k + shift, 80 + 40 * k);
            let (b, g, r) = colour;
            imgproc::circle(
                &mut m,
                centre,
                28,
                Scalar::new(b, g + tint, r, 0.0),
                -1,
                imgproc::LINE_AA,
                0,
            )
            .unwrap();
        }
        m
    }

    #[test]
    fn motion_reads_steady_and_a_colour_jump_does_not() {
        let mut change = Change::new(Size::new(320, 240)).unwrap();
        assert_eq!(change.measure(&scene(0, 0.0), Shot::Continues).unwrap(), None);
        let steady = change.measure(&scene(3, 0.0), Shot::Continues).unwrap().unwrap();
        let jump = change.measure(&scene(6, 60.0), Shot::Continues).unwrap().unwrap();
        assert!(steady < 1.5, "a shift of 3 pixels: {steady}");
        assert!(jump > 3.0 * steady.max(0.5), "a colour jump: {jump} against {steady}");
        assert_eq!(
            change.measure(&scene(6, 60.0), Shot::Starts).unwrap(),
            None,
            "a cut is not compared"
        );
    }
}
