//! The review page of a batch of photos: how sure the network was of each, the most unsure first, and each
//! photo before and after, bounded however large the batch.

use std::collections::HashMap;

use anyhow::Result;
use opencv::core::Mat;
use serde::Serialize;

use super::attention::{unsure_reason, Top, MOST};
use super::data::{Doubt, ModelDigests, Rerun};
use super::page::{document, figure, FIGURES_START};
use super::picture::Shown;
use crate::model::Uncertainty;

/// Photos shown whatever they hold, evenly spread over the batch.
const PICKS: usize = 60;

/// One photo, as the page's JSON gives it.
#[derive(Clone, Debug, Serialize)]
pub struct PhotoRecord {
    /// Its place in the batch.
    pub index: usize,
    /// The file name, as a hints file's `file` column names it.
    pub file: String,
    /// Width and height in pixels, which hints are given in.
    pub size: [i32; 2],
    /// The network's mean normalised entropy (0 sure, 1 no idea); None from a network that gives no measure of
    /// its doubt (DDColor).
    pub uncertainty: Option<f64>,
    pub hints: usize,
}

/// A photo to look at, and why.
#[derive(Clone, Debug, Serialize)]
pub struct PhotoAttention {
    pub photo: usize,
    pub file: String,
    pub reason: String,
    pub score: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PhotoSettings {
    /// The batch's command line, which the page gives with `--hints` added.
    pub rerun: Rerun,
    pub backend: String,
    pub model: ModelDigests,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct PhotoData {
    /// What the photos' `uncertainty` measures, or that the network gives none.
    pub doubt: Doubt,
    pub settings: PhotoSettings,
    pub photos: Vec<PhotoRecord>,
    pub attention: Vec<PhotoAttention>,
}

/// Gathers a batch's review as its photos finish, in any order.
pub struct PhotoCollector {
    picks: Vec<usize>,
    records: Vec<PhotoRecord>,
    shown: HashMap<usize, Shown>,
    unsure: Top,
}

impl PhotoCollector {
    pub fn new(total: usize) -> PhotoCollector {
        PhotoCollector {
            picks: crate::sheet::picks(total, PICKS),
            records: Vec::new(),
            shown: HashMap::new(),
            unsure: Top::new(MOST),
        }
    }

    /// Takes a finished photo: its record (uncertainty from `unsure`, where the network gives one), the photo and
    /// its colour. A photo without one is shown if picked.
    pub fn add(&mut self, record: PhotoRecord, unsure: Option<&Uncertainty>, before: &Mat, after: &Mat) -> Result<()> {
        let index = record.index;
        if let Some(unsure) = unsure {
            self.unsure.offer(unsure.mean, index);
        }
        self.records.push(PhotoRecord {
            uncertainty: unsure.map(|u| u.mean),
            ..record
        });
        if self.wanted(index) {
            self.shown
                .insert(index, Shown::new(index, before, after, unsure.map(|u| &u.map))?);
        }
        let keep: Vec<usize> = self.shown.keys().copied().filter(|&i| self.wanted(i)).collect();
        self.shown.retain(|i, _| keep.contains(i));
        Ok(())
    }

    fn wanted(&self, index: usize) -> bool {
        self.picks.binary_search(&index).is_ok() || self.unsure.contains(index)
    }

    /// The page's numbers and the photos it shows, in batch order.
    pub fn finish(mut self, settings: PhotoSettings) -> (PhotoData, Vec<Shown>) {
        self.records.sort_by_key(|r| r.index);
        let records = &self.records;
        let attention: Vec<PhotoAttention> = self
            .unsure
            .items()
            .iter()
            .filter_map(|&(h, photo)| {
                let (reason, score) = unsure_reason(h)?;
                let file = records.iter().find(|r| r.index == photo)?.file.clone();
                Some(PhotoAttention {
                    photo,
                    file,
                    reason,
                    score,
                })
            })
            .collect();
        let (picks, named) = (&self.picks, &attention);
        let mut shown: Vec<Shown> = self
            .shown
            .into_values()
            .filter(|s| picks.binary_search(&s.index).is_ok() || named.iter().any(|a| a.photo == s.index))
            .collect();
        shown.sort_by_key(|s| s.index);
        let data = PhotoData {
            doubt: settings.model.doubt(),
            settings,
            photos: self.records,
            attention,
        };
        (data, shown)
    }
}

/// The batch's page, `report.html` in the output folder.
pub fn html(data: &PhotoData, shown: &[Shown]) -> Result<String> {
    use std::fmt::Write as _;
    let s = &data.settings;
    let mut body = String::with_capacity(1 << 20);
    let escape = |t: &str| html_escape::encode_text(t).into_owned();
    write!(
        body,
        "<header><h1>{} photos</h1><dl><dt>Backend</dt><dd>{}</dd><dt>Model</dt><dd>{}</dd>\
         <dt>Uncertainty</dt><dd>{}</dd><dt>Time taken</dt><dd>{:.1} s</dd></dl></header>",
        data.photos.len(),
        escape(&s.backend),
        super::page::digests(&s.model),
        data.doubt.said(),
        s.seconds
    )?;
    body.push_str("<section id=\"attention\"><h2>Look at these first</h2>");
    if data.attention.is_empty() {
        body.push_str(match data.doubt {
            Doubt::Entropy => "<p>Nothing stands out: the network was sure enough of every photo.</p>",
            Doubt::Unmeasured => {
                "<p>No photo is named: DDColor gives no measure of its doubt, so look through them all.</p>"
            }
        });
    }
    for entry in &data.attention {
        write!(
            body,
            "<p><a href=\"#frame-{0}\" data-frame=\"{0}\">{1}</a>: {2}</p>",
            entry.photo,
            escape(&entry.file),
            escape(&entry.reason)
        )?;
    }
    body.push_str("</section>\n");
    body.push_str(FIGURES_START);
    for shown in shown {
        let Some(record) = data.photos.iter().find(|r| r.index == shown.index) else {
            continue;
        };
        let caption = match record.uncertainty {
            Some(h) => format!("{}, uncertainty {h:.2}", record.file),
            None => format!("{}, no uncertainty (DDColor gives none)", record.file),
        };
        figure(&mut body, shown, &caption, record.size, Some(&record.file))?;
    }
    body.push_str("</div></section>\n");
    let save_as = "report.hints.csv";
    let command = s.rerun.command(save_as)?;
    document("photos", &body, &serde_json::to_string(data)?, save_as, &command)
}
