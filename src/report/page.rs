//! The review page as one self-contained HTML file: header, timeline, attention list, the frames shown as
//! before/after pairs, and the hints panel; styles, script, pictures and numbers all inline, nothing fetched.

use std::fmt::Write as _;

use anyhow::Result;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::data::{Data, Doubt, FrameRecord, Kind, ModelDigests};
use super::picture::Shown;
use super::plot::{timeline, Plot};
use crate::sheet::timecode;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page around `body`: styles, the hints panel, the numbers as JSON, and the script. Hints are saved as
/// `save_as` and applied by `command`.
pub fn document(title: &str, body: &str, json: &str, save_as: &str, command: &str) -> Result<String> {
    let mut page = String::with_capacity(body.len() + json.len() + 32_768);
    let title = text(title);
    writeln!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Review: {title}</title><style>{STYLE}</style></head><body>"
    )?;
    page.push_str(body);
    writeln!(
        page,
        "<aside id=\"hints\"><h2>Colour hints</h2>\
         <p class=\"help\">Click a picture to put a hint there. Nothing leaves this page: the hints are saved as a \
         file.</p><label>Colour <input type=\"color\" id=\"hint-colour\" value=\"#3c8c3c\"></label> \
         <button type=\"button\" id=\"pick-colour\">Take a colour from the page</button> \
         <label>Radius <input type=\"number\" id=\"hint-radius\" min=\"1\" max=\"200\" value=\"3\"></label>\
         <table id=\"hint-list\"><thead><tr><th id=\"hint-on\">frame</th><th>x</th><th>y</th>\
         <th>colour</th><th>radius</th><th></th></tr></thead><tbody></tbody></table>\
         <button type=\"button\" id=\"save-hints\" data-file=\"{}\">Save hints</button>\
         <p>Then run: <code id=\"hint-command\">{}</code></p></aside>",
        attr(save_as),
        text(command)
    )?;
    let json = script_safe(json);
    writeln!(
        page,
        "<script type=\"application/json\" id=\"colorize-report\">{json}</script>\n<script>{SCRIPT}</script>\n\
         </body></html>"
    )?;
    Ok(page)
}

/// `json` as it can sit inside a script element: `</script>` would end the element early and `<!--` would turn
/// the rest of the page, the page's own script included, into the element's text. JSON has `<`, `>` and `&` only
/// inside strings, where `\u003c` and the rest are the same characters to a JSON reader.
fn script_safe(json: &str) -> String {
    let mut safe = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    safe
}

/// The film's page.
pub fn html(data: &Data, shown: &[Shown]) -> Result<String> {
    let plot = timeline(&data.frames, data.doubt)?;
    let mut body = String::with_capacity(1 << 20);
    header(&mut body, data)?;
    plot_section(&mut body, &plot, data.doubt)?;
    attention(&mut body, data)?;
    body.push_str(FIGURES_START);
    for frame in shown {
        figure(
            &mut body,
            frame,
            &caption(frame.index, record(data, frame.index))?,
            data.settings.source_size,
            None,
        )?;
    }
    body.push_str("</div></section>\n");
    let stem = std::path::Path::new(&data.film)
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy();
    let save_as = format!("{stem}.hints.csv");
    let command = data.settings.rerun.command(&save_as)?;
    document(
        &film_name(data),
        &body,
        &serde_json::to_string(data)?,
        &save_as,
        &command,
    )
}

/// The film's file name, which titles the page: its path, which may be a machine's, is in the header.
fn film_name(data: &Data) -> String {
    let path = std::path::Path::new(&data.film);
    path.file_name()
        .map_or_else(|| data.film.clone(), |name| name.to_string_lossy().into_owned())
}

pub const FIGURES_START: &str = "<section id=\"frames\"><h2>Pictures</h2><p class=\"help\">Drag a slider to \
    compare before and after; click a picture to place a colour hint at that pixel.</p><div class=\"grid\">\n";

fn record(data: &Data, index: usize) -> Option<&FrameRecord> {
    let at = data.frames.binary_search_by_key(&index, |r| r.index).ok()?;
    data.frames.get(at)
}

fn header(page: &mut String, data: &Data) -> Result<()> {
    let s = &data.settings;
    let count = |kind| data.frames.iter().filter(|r| r.kind == kind).count();
    let cuts = data.frames.iter().filter(|r| r.cut).count();
    writeln!(
        page,
        "<header><h1>{}</h1><dl><dt>Film</dt><dd>{}</dd>\
         <dt>Length</dt><dd>{} ({} frames at {:.3} fps)</dd>\
         <dt>Frames</dt><dd>{} keyframes, {} repeats, {} carried along the motion; {cuts} cuts</dd>\
         <dt>Size</dt><dd>{}x{} coloured, source {}x{}</dd>\
         <dt>Settings</dt><dd>keyframe interval {}, smooth {}, saturation {}, render size {}</dd>\
         <dt>Backend</dt><dd>{}</dd><dt>Model</dt><dd>{}</dd><dt>Uncertainty</dt><dd>{}</dd>\
         <dt>Time taken</dt><dd>{:.1} s</dd></dl></header>",
        text(&film_name(data)),
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
        digests(&s.model),
        data.doubt.said(),
        s.seconds,
    )?;
    Ok(())
}

/// The model files' digests, shortened, each whole on hover.
pub fn digests(model: &ModelDigests) -> String {
    let digest = |name: &str, hex: &str| {
        format!(
            "<span title=\"{}\">{name} {}</span>",
            attr(hex),
            text(&hex[..12.min(hex.len())])
        )
    };
    match model {
        ModelDigests::Eccv16 {
            prototxt,
            caffemodel,
            points,
        } => [
            digest("prototxt", prototxt),
            digest("weights", caffemodel),
            digest("points", points),
        ]
        .join(" "),
        ModelDigests::DDColor { onnx } => digest("DDColor", onnx),
    }
}

fn plot_section(page: &mut String, plot: &Plot, doubt: Doubt) -> Result<()> {
    let red = match doubt {
        Doubt::Entropy => "Red: the network's uncertainty at keyframes.",
        Doubt::Unmeasured => "No red: DDColor gives one colour and no measure of its doubt, so no uncertainty.",
    };
    writeln!(
        page,
        "<section id=\"plot\"><h2>Timeline</h2><p class=\"help\">Blue: colour change the motion does not explain \
         (0 is steady). {red} Gray lines: cuts. The strip: dark keyframes, mid repeats, light carried frames. Click \
         to go to a frame.</p>\
         <div id=\"plot-area\" data-left=\"{}\" data-right=\"{}\" data-first=\"{}\" data-end=\"{}\">{}</div>\
         <p id=\"plot-readout\" aria-live=\"polite\"></p></section>",
        plot.left, plot.right, plot.frames.start, plot.frames.end, plot.svg
    )?;
    Ok(())
}

fn attention(page: &mut String, data: &Data) -> Result<()> {
    page.push_str("<section id=\"attention\"><h2>Look at these first</h2>");
    if data.attention.is_empty() {
        page.push_str(match data.doubt {
            Doubt::Entropy => "<p>Nothing stands out: no frame's colour jumps, and the network was sure enough.</p>",
            Doubt::Unmeasured => {
                "<p>Nothing stands out: no frame's colour jumps (DDColor gives no measure of its doubt, so no frame \
                 is named as unsure).</p>"
            }
        });
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

fn caption(i: usize, record: Option<&FrameRecord>) -> Result<String> {
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
    Ok(caption)
}

/// A shown picture: before and after with a slider, a heat map on demand; `size` is the source's in pixels,
/// which hints are given in, and `file` the photo's name where a hint names its photo.
pub fn figure(page: &mut String, frame: &Shown, caption: &str, size: [i32; 2], file: Option<&str>) -> Result<()> {
    let i = frame.index;
    let heat = frame.heat_uri()?;
    writeln!(
        page,
        "<figure class=\"frame\" id=\"frame-{i}\" data-index=\"{i}\" data-width=\"{}\" data-height=\"{}\"{}>\
         <div class=\"pair\">\
         <img class=\"before\" alt=\"frame {i} before\" src=\"{}\"><img class=\"after\" alt=\"frame {i} after\" \
         src=\"{}\">{}<div class=\"marks\"></div></div>\
         <input type=\"range\" class=\"slider\" min=\"0\" max=\"100\" value=\"50\" aria-label=\"before and after\">\
         <figcaption>{}{}</figcaption></figure>",
        size[0],
        size[1],
        file.map(|f| format!(" data-file=\"{}\"", attr(f))).unwrap_or_default(),
        frame.before_uri()?,
        frame.after_uri()?,
        heat.as_deref()
            .map(|uri| format!("<img class=\"heat\" alt=\"uncertainty of frame {i}\" hidden src=\"{uri}\">"))
            .unwrap_or_default(),
        text(caption),
        if heat.is_some() {
            " <button type=\"button\" class=\"show-heat\">uncertainty</button>"
        } else {
            ""
        },
    )?;
    Ok(())
}
