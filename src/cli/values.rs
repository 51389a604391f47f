//! The values of the command line's options, each checked as clap reads it, with a message that names the bound.

use crate::film::Interval;
use crate::model::caffe;

/// OpenCV's writer keeps a rate only to within 0.001 and cannot open a film at 0.001 or below (its time base
/// becomes 1/0), so rates start where that rounding no longer matters.
const MIN_FPS: f64 = 0.01;

pub fn positive_fps(s: &str) -> Result<f64, String> {
    let fps: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if fps.is_finite() && (MIN_FPS..=1000.0).contains(&fps) {
        Ok(fps)
    } else {
        Err(format!(
            "{s} is not a frame rate the film can have (give one from {MIN_FPS} to 1000)"
        ))
    }
}

pub fn temperature(s: &str) -> Result<f64, String> {
    let t: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    let min = caffe::MIN_TEMPERATURE;
    if (min..=1.0).contains(&t) {
        Ok(t)
    } else if t > 0.0 && t < min {
        Err(format!(
            "{s} is too low a temperature: below {min:e} the network's scaled logits overflow f32 and every pixel \
             comes out white (give one from {min:e} to 1)"
        ))
    } else {
        Err(format!("the temperature must be from {min:e} to 1"))
    }
}

fn whole_number_in(s: &str, range: std::ops::RangeInclusive<u32>, what: &str) -> Result<u32, String> {
    s.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
        format!(
            "{what} must be a whole number from {} to {}",
            range.start(),
            range.end()
        )
    })
}

pub fn sheet_size(s: &str) -> Result<usize, String> {
    whole_number_in(s, 1..=400, "the number of pictures on a contact sheet").map(|n| n as usize)
}

pub fn width(s: &str) -> Result<u32, String> {
    whole_number_in(s, 1..=16384, "the width")
}

pub fn jobs(s: &str) -> Result<u32, String> {
    whole_number_in(s, 1..=256, "the number of networks")
}

fn number_in(s: &str, range: std::ops::RangeInclusive<f64>, what: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(format!("{what} must be from {} to {}", range.start(), range.end()))
    }
}

pub fn smooth_strength(s: &str) -> Result<f64, String> {
    number_in(s, 0.0..=0.95, "the smoothing strength")
}

pub fn keyframe_interval(s: &str) -> Result<Interval, String> {
    match s.parse() {
        Ok(Interval::Auto) => Ok(Interval::Auto),
        // Frames wait in memory for their next keyframe, and flow over longer spans is seldom right.
        _ => whole_number_in(s, 1..=25, "the keyframe interval").map(|k| Interval::Every(k as usize)),
    }
}

pub fn batch(s: &str) -> Result<usize, String> {
    whole_number_in(s, 1..=256, "the batch").map(|n| n as usize)
}

pub fn warmup(s: &str) -> Result<usize, String> {
    whole_number_in(s, 0..=100_000, "the warmup").map(|k| k as usize)
}

pub fn saturation(s: &str) -> Result<f64, String> {
    number_in(s, 0.0..=4.0, "the saturation")
}

pub fn render_size(s: &str) -> Result<i32, String> {
    let n: i32 = s.parse().map_err(|_| format!("'{s}' is not a whole number"))?;
    // Three stride-2 stages and one 2x upsampling: the side must divide by 8.
    if (64..=1024).contains(&n) && n % 8 == 0 {
        Ok(n)
    } else {
        Err("the render size must be a multiple of 8 from 64 to 1024".into())
    }
}
