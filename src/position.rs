//! A place in a film as the user writes it (a frame index or a time), and a span of frames.

/// Frames `start..end`; no end: on to the film's end, wherever that turns out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: Option<usize>,
}

impl Span {
    pub fn contains(self, index: usize) -> bool {
        index >= self.start && self.end.is_none_or(|end| index < end)
    }

    /// Whether `index` lies past the end.
    pub fn is_past(self, index: usize) -> bool {
        self.end.is_some_and(|end| index >= end)
    }

    /// How many frames it holds, when it has an end.
    pub fn count(self) -> Option<usize> {
        self.end.map(|end| end - self.start)
    }
}

/// A place in a film: a frame index, or a time (`90s`, `1:30`, `0:01:30.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Position {
    Frame(usize),
    Seconds(f64),
}

impl Position {
    pub fn frame(self, fps: f64) -> usize {
        match self {
            Position::Frame(i) => i,
            Position::Seconds(s) => (s * fps).round() as usize,
        }
    }
}

impl std::str::FromStr for Position {
    type Err = String;

    fn from_str(s: &str) -> Result<Position, String> {
        let bad = || {
            format!(
                "'{s}' is neither a frame index (120) nor a time (4.8s, 1:30, 0:01:30.5, minutes and seconds below 60)"
            )
        };
        if let Ok(i) = s.parse::<usize>() {
            return Ok(Position::Frame(i));
        }
        let seconds = if let Some(secs) = s.strip_suffix('s') {
            secs.parse::<f64>().map_err(|_| bad())?
        } else if s.contains(':') {
            let parts: Vec<&str> = s.split(':').collect();
            if parts.len() > 3 {
                return Err(bad());
            }
            parts
                .iter()
                .enumerate()
                // A negative part would count back from the ones before it (`1:-30` is no time, not 30 seconds),
                // and minutes or seconds of 60 or more after the first part are a typing slip (`1:99`), not 159 s.
                .try_fold(0.0, |acc, (i, part)| {
                    let v = part.parse::<f64>().ok().filter(|v| *v >= 0.0)?;
                    (i == 0 || v < 60.0).then_some(acc * 60.0 + v)
                })
                .ok_or_else(bad)?
        } else {
            return Err(bad());
        };
        if seconds.is_finite() && seconds >= 0.0 {
            Ok(Position::Seconds(seconds))
        } else {
            Err(bad())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_times_parse() {
        assert_eq!("120".parse(), Ok(Position::Frame(120)));
        assert_eq!("4.8s".parse(), Ok(Position::Seconds(4.8)));
        assert_eq!("1:30".parse(), Ok(Position::Seconds(90.0)));
        assert_eq!("0:01:30.5".parse(), Ok(Position::Seconds(90.5)));
        assert!("-3".parse::<Position>().is_err());
        assert!("soon".parse::<Position>().is_err());
        assert!("1:99".parse::<Position>().is_err());
        assert!("1:00:60".parse::<Position>().is_err());
        assert!("1:2:3:4".parse::<Position>().is_err());
        assert_eq!("90:30".parse(), Ok(Position::Seconds(5430.0)));
        assert_eq!(Position::Seconds(2.0).frame(24000.0 / 1001.0), 48);
    }
}
