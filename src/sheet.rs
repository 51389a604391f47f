//! Contact sheets: labelled before/after thumbnails in a grid, to judge a film or a batch of photos at a glance.
//!
//! Each cell is a label strip, the original below it and the colorized picture below that. The geometry is public
//! so that a reader (the tests) can find every tile again.

use std::path::Path;

use anyhow::Result;
use opencv::core::{Mat, Point, Rect, Scalar, Size, CV_8UC3};
use opencv::imgproc;
use opencv::prelude::*;

use crate::image_io;
use crate::output::write_atomically;

/// Width of a thumbnail; its height follows the picture's aspect.
pub const THUMB_WIDTH: i32 = 240;
pub const COLUMNS: i32 = 4;
/// Height of the label strip above each pair, and the margin around and between cells.
pub const LABEL_HEIGHT: i32 = 20;
pub const GAP: i32 = 8;

/// The indices of `count` pictures evenly spread over `total`, first and last included.
pub fn picks(total: usize, count: usize) -> Vec<usize> {
    match (total, count) {
        (0, _) | (_, 0) => Vec::new(),
        (t, c) if c >= t => (0..t).collect(),
        (t, 1) => vec![t / 2],
        (t, c) => (0..c).map(|i| (i * (t - 1) + (c - 1) / 2) / (c - 1)).collect(),
    }
}

/// Where cell `i` of a sheet with thumbnails of `thumb` size starts.
pub fn cell_origin(i: usize, thumb: Size) -> Point {
    let (col, row) = (i as i32 % COLUMNS, i as i32 / COLUMNS);
    Point::new(
        GAP + col * (thumb.width + GAP),
        GAP + row * (LABEL_HEIGHT + 2 * thumb.height + GAP),
    )
}

/// The size of the thumbnails made of pictures of `size`.
pub fn thumb_size(size: Size) -> Size {
    let height = (size.height as f64 * THUMB_WIDTH as f64 / size.width.max(1) as f64).round() as i32;
    Size::new(THUMB_WIDTH, height.max(1))
}

struct Tile {
    position: usize,
    before: Mat,
    after: Mat,
    label: String,
}

#[derive(Default)]
pub struct Sheet {
    tiles: Vec<Tile>,
}

impl Sheet {
    /// Adds a pair at `position` in the sheet's order, shrunk at once so a sheet holds little memory however large
    /// the pictures.
    pub fn add(&mut self, position: usize, before: &Mat, after: &Mat, label: String) -> Result<()> {
        let thumb = thumb_size(after.size()?);
        let shrink = |image: &Mat| -> Result<Mat> {
            let mut small = Mat::default();
            imgproc::resize(image, &mut small, thumb, 0.0, 0.0, imgproc::INTER_AREA)?;
            Ok(small)
        };
        self.tiles.push(Tile {
            position,
            before: shrink(before)?,
            after: shrink(after)?,
            label,
        });
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Draws the sheet in position order; cells take the size of the first thumbnail, and others are fitted into it
    /// with their aspect kept.
    pub fn render(&self) -> Result<Mat> {
        let mut tiles: Vec<&Tile> = self.tiles.iter().collect();
        tiles.sort_by_key(|t| t.position);
        let thumb = tiles
            .first()
            .map_or(Ok(Size::new(THUMB_WIDTH, 1)), |t| t.after.size())?;
        let rows = (self.tiles.len() as i32 + COLUMNS - 1) / COLUMNS;
        let columns = COLUMNS.min(self.tiles.len() as i32).max(1);
        let size = Size::new(
            GAP + columns * (thumb.width + GAP),
            GAP + rows * (LABEL_HEIGHT + 2 * thumb.height + GAP),
        );
        let mut sheet = Mat::new_size_with_default(size, CV_8UC3, Scalar::all(32.0))?;
        for (i, tile) in tiles.into_iter().enumerate() {
            let origin = cell_origin(i, thumb);
            let baseline = Point::new(origin.x + 2, origin.y + LABEL_HEIGHT - 6);
            let white = Scalar::all(235.0);
            imgproc::put_text(
                &mut sheet,
                &tile.label,
                baseline,
                imgproc::FONT_HERSHEY_SIMPLEX,
                0.45,
                white,
                1,
                imgproc::LINE_AA,
                false,
            )?;
            for (k, picture) in [&tile.before, &tile.after].into_iter().enumerate() {
                let top = origin.y + LABEL_HEIGHT + k as i32 * thumb.height;
                let (fitted, at) = fit(picture, thumb)?;
                let place = Rect::new(origin.x + at.x, top + at.y, fitted.cols(), fitted.rows());
                fitted.copy_to(&mut Mat::roi_mut(&mut sheet, place)?)?;
            }
        }
        Ok(sheet)
    }

    /// Writes the sheet as a JPEG, whole or not at all.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomically(path, &image_io::encode(&self.render()?, "jpg")?)
    }
}

/// `picture` scaled to fit `cell` with its aspect kept, and where it goes in the cell to sit in its middle.
fn fit(picture: &Mat, cell: Size) -> Result<(Mat, Point)> {
    let size = picture.size()?;
    if size == cell {
        return Ok((picture.try_clone()?, Point::new(0, 0)));
    }
    let scale = (cell.width as f64 / size.width as f64).min(cell.height as f64 / size.height as f64);
    let fitted_size = Size::new(
        ((size.width as f64 * scale).round() as i32).clamp(1, cell.width),
        ((size.height as f64 * scale).round() as i32).clamp(1, cell.height),
    );
    let mut fitted = Mat::default();
    imgproc::resize(picture, &mut fitted, fitted_size, 0.0, 0.0, imgproc::INTER_AREA)?;
    let at = Point::new(
        (cell.width - fitted_size.width) / 2,
        (cell.height - fitted_size.height) / 2,
    );
    Ok((fitted, at))
}

/// A film time as a timecode, `h:mm:ss.ss`.
pub fn timecode(seconds: f64) -> String {
    let seconds = seconds.max(0.0);
    let whole = seconds.floor() as u64;
    format!(
        "{}:{:02}:{:05.2}",
        whole / 3600,
        whole / 60 % 60,
        seconds - (whole - whole % 60) as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_spread_over_the_whole_range() {
        assert_eq!(picks(241, 5), [0, 60, 120, 180, 240]);
        assert_eq!(picks(3, 12), [0, 1, 2]);
        assert_eq!(picks(10, 1), [5]);
        assert_eq!(picks(0, 12), Vec::<usize>::new());
        let many = picks(1000, 12);
        assert_eq!((many.len(), many[0], many[11]), (12, 0, 999));
        assert!(many.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn timecodes_read_as_clocks() {
        assert_eq!(timecode(0.0), "0:00:00.00");
        assert_eq!(timecode(83.04), "0:01:23.04");
        assert_eq!(timecode(3725.5), "1:02:05.50");
    }

    #[test]
    fn every_pair_lands_in_its_cell() {
        let mut sheet = Sheet::default();
        for (i, level) in [40.0, 200.0, 120.0, 80.0, 160.0].into_iter().enumerate() {
            let before = Mat::new_rows_cols_with_default(60, 80, CV_8UC3, Scalar::all(level)).unwrap();
            let after =
                Mat::new_rows_cols_with_default(60, 80, CV_8UC3, Scalar::new(level, 0.0, 255.0 - level, 0.0)).unwrap();
            sheet.add(i, &before, &after, format!("{level}")).unwrap();
        }
        let image = sheet.render().unwrap();
        let thumb = thumb_size(Size::new(80, 60));
        assert_eq!(thumb, Size::new(240, 180));
        assert_eq!(
            image.size().unwrap(),
            Size::new(GAP + 4 * (240 + GAP), GAP + 2 * (LABEL_HEIGHT + 360 + GAP))
        );
        for (i, level) in [40.0, 200.0, 120.0, 80.0, 160.0].into_iter().enumerate() {
            let o = cell_origin(i, thumb);
            let at = |y: i32| image.at_2d::<opencv::core::Vec3b>(y, o.x + 100).unwrap().0;
            assert_eq!(at(o.y + LABEL_HEIGHT + 90), [level as u8; 3], "cell {i}, original");
            assert_eq!(
                at(o.y + LABEL_HEIGHT + 270),
                [level as u8, 0, 255 - level as u8],
                "cell {i}, colorized"
            );
        }
    }
}
