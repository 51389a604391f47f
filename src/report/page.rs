//! The review page as one self-contained HTML file: header, timeline, attention list, the frames shown as
//! before/after pairs, and the hints panel; styles, script, pictures and numbers all inline, nothing fetched.

use std::fmt::Write as _;

use anyhow::Result;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::plot::{timeline, Plot};
use super::{Data, FrameRecord, Kind, Shown};
use crate::sheet::timecode;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

pub fn html(data: &Data, shown: &[Shown]) -> Result<String> {
    let plot = timeline(&data.frames)?;
    let mut page = String::with_capacity(1 << 20);
    let title = text(&data.film);
    write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Review: {title}</title><style>{STYLE}</style></head><body>\n"
    )?;
    header(&mut page, data)?;
    plot_section(&mut page, &plot)?;
    attention(&mut page, data)?;
    page.push_str(
        "<section id=\"frames\"><h2>Frames</h2><p class=\"help\">Drag a slider to compare before and \
                   after; click a picture to place a colour hint at that pixel.</p><div class=\"grid\">\n",
    );
    for frame in shown {
        figure(&mut page, frame, record(data, frame.index))?;
    }
    page.push_str("</div></section>\n");
    page.push_str(HINTS_PANEL);
    // `</` inside the JSON would end the script element early; `<\/` is the same string to a JSON reader.
    let json = serde_json::to_string(data)?.replace("</", "<\\/");
    write!(
        page,
        "<script type=\"application/json\" id=\"colorize-report\">{json}</script>\n<script>{SCRIPT}</script>\n\
         </body></html>\n"
    )?;
    Ok(page)
}

fn record(data: &Data, index: usize) -> Option<&FrameRecord> {
    let at = data.frames.binary_search_by_key(&index, |r| r.index).ok()?;
    data.frames.get(at)
}

fn header(page: &mut String, data: &Data) -> Result<()> {
    let s = &data.settings;
    let count = |kind| data.frames.iter().filter(|r| r.kind == kind).count();
    let cuts = data.frames.iter().filter(|r| r.cut).count();
    let digest = |name: &str, hex: &str| {
        format!(
            "<span title=\"{}\">{name} {}</span>",
            attr(hex),
            text(&hex[..12.min(hex.len())])
        )
    };
    writeln!(
        page,
        "<header><h1>{}</h1><dl>\
         <dt>Length</dt><dd>{} ({} frames at {:.3} fps)</dd>\
         <dt>Frames</dt><dd>{} keyframes, {} repeats, {} carried along the motion; {cuts} cuts</dd>\
         <dt>Size</dt><dd>{}x{} coloured, source {}x{}</dd>\
         <dt>Settings</dt><dd>keyframe interval {}, smooth {}, saturation {}, render size {}</dd>\
         <dt>Backend</dt><dd>{}</dd><dt>Model</dt><dd>{} {} {}</dd>\
         <dt>Time taken</dt><dd>{:.1} s</dd></dl></header>",
        text(&data.film),
        timecode(s.length),
        s.frames,
        s.fps,
        count(Kind::Keyframe),
        count(Kind::Repeat),
        count(Kind::Carried),
        s.size[0],
        s.size[1],
        s.source_size[0],
        s.source_size[1],
        text(&s.keyframe_interval),
        s.smooth,
        s.saturation,
        s.render_size,
        text(&s.backend),
        digest("prototxt", &s.model.prototxt),
        digest("weights", &s.model.caffemodel),
        digest("points", &s.model.points),
        s.seconds,
    )?;
    Ok(())
}

fn plot_section(page: &mut String, plot: &Plot) -> Result<()> {
    writeln!(
        page,
        "<section id=\"plot\"><h2>Timeline</h2><p class=\"help\">Blue: colour change the motion does not explain \
         (0 is steady). Red: the network's uncertainty at keyframes. Gray lines: cuts. The strip: dark keyframes, \
         mid repeats, light carried frames. Click to go to a frame.</p>\
         <div id=\"plot-area\" data-left=\"{}\" data-right=\"{}\" data-first=\"{}\" data-end=\"{}\">{}</div>\
         <p id=\"plot-readout\" aria-live=\"polite\"></p></section>",
        plot.left, plot.right, plot.frames.start, plot.frames.end, plot.svg
    )?;
    Ok(())
}

fn attention(page: &mut String, data: &Data) -> Result<()> {
    page.push_str("<section id=\"attention\"><h2>Look at these first</h2>");
    if data.attention.is_empty() {
        page.push_str("<p>Nothing stands out: no frame's colour jumps, and the network was sure enough.</p>");
    } else {
        page.push_str("<ol>");
        for entry in &data.attention {
            write!(
                page,
                "<li><a href=\"#frame-{0}\" data-frame=\"{0}\">frame {0} at {1}</a>: {2}</li>",
                entry.frame,
                timecode(entry.time),
                text(&entry.reason)
            )?;
        }
        page.push_str("</ol>");
    }
    page.push_str("</section>\n");
    Ok(())
}

fn figure(page: &mut String, frame: &Shown, record: Option<&FrameRecord>) -> Result<()> {
    let i = frame.index;
    let mut caption = format!("frame {i}");
    if let Some(r) = record {
        write!(caption, " at {}, {}", timecode(r.time), r.kind.name())?;
        if let Some(change) = r.stability {
            write!(caption, ", change {change:.1}")?;
        }
        if let Some(h) = r.uncertainty {
            write!(caption, ", uncertainty {h:.2}")?;
        }
    }
    let heat = frame.heat_uri()?;
    writeln!(
        page,
        "<figure class=\"frame\" id=\"frame-{i}\" data-index=\"{i}\"><div class=\"pair\">\
         <img class=\"before\" alt=\"frame {i} before\" src=\"{}\"><img class=\"after\" alt=\"frame {i} after\" \
         src=\"{}\">{}<div class=\"marks\"></div></div>\
         <input type=\"range\" class=\"slider\" min=\"0\" max=\"100\" value=\"50\" aria-label=\"before and after\">\
         <figcaption>{}{}</figcaption></figure>",
        frame.before_uri()?,
        frame.after_uri()?,
        heat.as_deref()
            .map(|uri| format!("<img class=\"heat\" alt=\"uncertainty of frame {i}\" hidden src=\"{uri}\">"))
            .unwrap_or_default(),
        text(&caption),
        if heat.is_some() {
            " <button type=\"button\" class=\"show-heat\">uncertainty</button>"
        } else {
            ""
        },
    )?;
    Ok(())
}

const HINTS_PANEL: &str = "<aside id=\"hints\"><h2>Colour hints</h2>\
<p class=\"help\">Click a picture to put a hint there. Nothing leaves this page: the hints are saved as a file.</p>\
<label>Colour <input type=\"color\" id=\"hint-colour\" value=\"#3c8c3c\"></label> \
<button type=\"button\" id=\"pick-colour\">Take a colour from the page</button> \
<label>Radius <input type=\"number\" id=\"hint-radius\" min=\"1\" max=\"200\" value=\"3\"></label>\
<table id=\"hint-list\"><thead><tr><th>frame</th><th>x</th><th>y</th><th>colour</th><th>radius</th><th></th></tr>\
</thead><tbody></tbody></table>\
<button type=\"button\" id=\"save-hints\">Save hints</button>\
<p>Then run: <code id=\"hint-command\"></code></p></aside>\n";
