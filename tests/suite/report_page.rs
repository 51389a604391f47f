//! The review page in a real browser (Debian's chromium, headless, over the DevTools protocol): it renders, a
//! click on the timeline goes to a frame, the slider and heat map work, and a hint placed by clicking, coloured
//! and saved is a file `--hints` reads that puts the chosen colour on the clicked pixel, of a photo and of a film;
//! and a page of DDColor's photos, which has no heat map.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::point::Point;
use headless_chrome::protocol::cdp::Browser::{SetDownloadBehavior, SetDownloadBehaviorBehaviorOption};
use headless_chrome::{Browser, LaunchOptions, Tab};
use opencv::core::{Mat, Vec3b, Vec3f};
use opencv::prelude::*;
use serde_json::Value;

use crate::report::{picture, write_film};
use crate::support::{cannot_run, gray_picture, lab, read_image, write_image, Workspace};

const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless chromium, or None after `cannot_run` where it is not installed.
fn browser(test: &str) -> Option<Browser> {
    if !Path::new(CHROMIUM).exists() {
        cannot_run(test, "chromium is not installed (scripts/setup installs it)");
        return None;
    }
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        // As root (containers, CI) chromium runs only without its sandbox.
        .sandbox(false)
        .window_size(Some((1400, 1000)))
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    Some(Browser::new(options).unwrap())
}

/// Opens `page` and waits for its script to have run.
fn open(browser: &Browser, page: &Path) -> std::sync::Arc<Tab> {
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("file://{}", page.display())).unwrap();
    tab.wait_until_navigated().unwrap();
    tab.wait_for_element("body[data-ready='yes']").unwrap();
    tab
}

/// Evaluates `script` in the page; its value comes back through JSON, which carries arrays too.
fn eval(tab: &Tab, script: &str) -> Value {
    let json = tab.evaluate(&format!("JSON.stringify({script})"), false).unwrap().value;
    json.and_then(|v| v.as_str().map(|s| serde_json::from_str(s).unwrap()))
        .unwrap_or(Value::Null)
}

/// Checks that the page drew what it should: every picture decoded, the numbers parsed, no script error.
fn assert_rendered(tab: &Tab, figures: usize) {
    let shown = eval(tab, "document.querySelectorAll('figure.frame').length")
        .as_u64()
        .unwrap();
    assert!(shown as usize >= figures, "{shown} pictures shown");
    let broken = eval(
        tab,
        "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length",
    );
    assert_eq!(broken, 0, "pictures that did not decode");
}

/// Where on the screen a place in a frame's picture is, `fx` and `fy` its fractions of width and height; and
/// the source pixel a click there names, for a source `size` pixels wide and high.
fn spot(tab: &Tab, figure: &str, (fx, fy): (f64, f64), size: (i32, i32)) -> (Point, (i64, i64)) {
    let rect = eval(
        tab,
        &format!(
            "(() => {{ const f = document.querySelector('{figure}'); f.scrollIntoView({{block: 'center'}}); \
             const r = f.querySelector('.before').getBoundingClientRect(); \
             return [r.left, r.top, r.width, r.height]; }})()"
        ),
    );
    let r: Vec<f64> = rect.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let point = Point {
        x: (r[0] + fx * r[2]).round(),
        y: (r[1] + fy * r[3]).round(),
    };
    let pixel = (
        ((point.x - r[0]) / r[2] * f64::from(size.0)).floor() as i64,
        ((point.y - r[1]) / r[3] * f64::from(size.1)).floor() as i64,
    );
    (point, pixel)
}

/// Sets the hint colour and radius as a person would through the inputs.
fn choose(tab: &Tab, colour: &str, radius: u32) {
    eval(
        tab,
        &format!(
            "(() => {{ const c = document.getElementById('hint-colour'); c.value = '{colour}'; \
             c.dispatchEvent(new Event('input')); const r = document.getElementById('hint-radius'); \
             r.value = '{radius}'; r.dispatchEvent(new Event('input')); }})()"
        ),
    );
}

/// Clicks "Save hints" and returns the file the browser downloaded into `dir`.
fn save(tab: &Tab, dir: &Path, name: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    tab.call_method(SetDownloadBehavior {
        behavior: SetDownloadBehaviorBehaviorOption::Allow,
        browser_context_id: None,
        download_path: Some(dir.display().to_string()),
        events_enabled: None,
    })
    .unwrap();
    tab.find_element("#save-hints").unwrap().click().unwrap();
    let file = dir.join(name);
    let started = Instant::now();
    while !file.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("no {} downloaded: {e}", file.display()))
}

/// The a/b of CIE Lab of an 8-bit colour, as the tool computes it.
fn ab(bgr: Vec3b) -> [f32; 2] {
    let lab = lab(&Mat::from_slice(&[bgr]).unwrap().try_clone().unwrap());
    let v = lab.data_typed::<Vec3f>().unwrap()[0];
    [v[1], v[2]]
}

/// The page's "take a colour" button, then a click on the picture: the colour chosen is the finished photo's
/// there (within what the page's JPEG changes), and no hint is placed.
fn assert_picker_takes_the_colour_of(tab: &Tab, finished: &Mat) {
    tab.find_element("#pick-colour").unwrap().click().unwrap();
    let (point, (x, y)) = spot(tab, "#frame-0", (0.5, 0.5), (240, 180));
    tab.click_point(point).unwrap();
    let picked = eval(tab, "document.getElementById('hint-colour').value");
    let there = *finished.at_2d::<Vec3b>(y as i32, x as i32).unwrap();
    let picked = picked.as_str().unwrap();
    let channel = |k: usize| i64::from_str_radix(&picked[1 + 2 * k..3 + 2 * k], 16).unwrap();
    for (k, c) in [2, 1, 0].into_iter().enumerate() {
        assert!(
            (channel(k) - i64::from(there[c])).abs() <= 16,
            "picked {picked}, the photo has {there:?}"
        );
    }
    assert_eq!(
        eval(tab, "document.querySelectorAll('#hint-list tbody tr').length"),
        0,
        "picking placed a hint"
    );
}

#[test]
fn a_hint_clicked_on_a_photo_page_lands_on_that_pixel_in_the_chosen_colour() {
    let Some(browser) = browser("a_hint_clicked_on_a_photo_page") else {
        return;
    };
    let ws = Workspace::new();
    let photo = gray_picture(opencv::core::Size::new(240, 180), |x, y| (60 + (x + 2 * y) % 140) as u8);
    write_image(&ws.path("photo.png"), &photo);
    ws.ok(&["image", "photo.png", "-o", "out", "--report", "-q"]);
    let tab = open(&browser, &ws.path("out/report.html"));
    assert_rendered(&tab, 1);
    assert!(eval(&tab, "document.getElementById('hint-command').textContent")
        .as_str()
        .unwrap()
        .contains("--hints"));
    assert_picker_takes_the_colour_of(&tab, &read_image(&ws.path("out/Color_photo.png")));
    // A hint: red, radius 2, clicked at a place off the middle.
    choose(&tab, "#c83232", 2);
    let (point, (x, y)) = spot(&tab, "#frame-0", (0.3, 0.7), (240, 180));
    tab.click_point(point).unwrap();
    assert_eq!(
        eval(&tab, "document.querySelectorAll('.mark').length"),
        1,
        "the hint is marked on the picture"
    );
    let csv = save(&tab, &ws.path("downloads"), "report.hints.csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "file,x,y,colour,radius", "{csv}");
    let row: Vec<&str> = rows[1].split(',').collect();
    assert_eq!((row[0], row[3], row[4]), ("photo.png", "#c83232", "2"), "{csv}");
    let (hx, hy): (i64, i64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
    assert!(
        (hx - x).abs() <= 1 && (hy - y).abs() <= 1,
        "clicked ({x}, {y}), saved ({hx}, {hy})"
    );
    // The saved file is a hints file: the chosen colour lands on the clicked pixel.
    ws.ok(&[
        "image",
        "photo.png",
        "-o",
        "again",
        "--hints",
        "downloads/report.hints.csv",
        "-q",
    ]);
    let hinted = read_image(&ws.path("again/Color_photo.png"));
    let got = ab(*hinted.at_2d::<Vec3b>(y as i32, x as i32).unwrap());
    let want = ab(Vec3b::from([50, 50, 200]));
    assert!(
        (got[0] - want[0]).abs() < 8.0 && (got[1] - want[1]).abs() < 8.0,
        "a/b at ({x}, {y}): {got:?}, chosen {want:?}"
    );
}

#[test]
fn a_film_page_renders_goes_to_the_frame_clicked_on_the_timeline_and_its_saved_hint_lands_where_clicked() {
    let Some(browser) = browser("a_film_page_renders") else {
        return;
    };
    let ws = Workspace::new();
    let frames: Vec<Mat> = (0..40).map(|i| picture(2 * (i % 20), 0, i >= 20)).collect();
    write_film(&ws.path("film.avi"), &frames);
    ws.ok(&["video", "film.avi", "-o", "out.avi", "--report", "-q"]);
    let tab = open(&browser, &ws.path("out.report.html"));
    assert_rendered(&tab, 12);
    assert!(
        eval(
            &tab,
            "document.querySelectorAll('#timeline path, #timeline polyline').length"
        )
        .as_u64()
            > Some(0)
    );
    // A click at the plotting area's right edge is the last frame, which the frames shown end with.
    let edge = eval(
        &tab,
        "(() => { const a = document.getElementById('plot-area'); a.scrollIntoView(); \
         const s = a.querySelector('svg').getBoundingClientRect(); const k = s.width / 1100; \
         return [s.left + Number(a.dataset.right) * k - 1, s.top + s.height / 2]; })()",
    );
    let edge: Vec<f64> = edge.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    tab.click_point(Point { x: edge[0], y: edge[1] }).unwrap();
    let readout = eval(&tab, "document.getElementById('plot-readout').textContent");
    assert!(readout.as_str().unwrap().starts_with("frame 39 "), "{readout}");
    assert_eq!(
        eval(&tab, "document.querySelector('.frame.current').dataset.index"),
        "39"
    );
    // The slider uncovers the picture before; a keyframe's heat map shows on demand.
    let slid = "(() => { const s = document.querySelector('#frame-0 .slider'); s.value = 20; \
                s.dispatchEvent(new Event('input')); return document.querySelector('#frame-0 .after').style.clipPath; })()";
    assert!(eval(&tab, slid).as_str().unwrap().contains("80%"));
    let heat = "getComputedStyle(document.querySelector('#frame-0 .heat')).display";
    assert_eq!(eval(&tab, heat), "none", "the heat map waits to be asked for");
    tab.find_element("#frame-0 .show-heat").unwrap().click().unwrap();
    assert_eq!(eval(&tab, heat), "block");
    choose(&tab, "#2a64c8", 4);
    let (point, (x, y)) = spot(&tab, "#frame-39", (0.25, 0.5), (160, 120));
    tab.click_point(point).unwrap();
    let csv = save(&tab, &ws.path("downloads"), "film.hints.csv");
    assert_eq!(csv, format!("frame,x,y,colour,radius\n39,{x},{y},#2a64c8,4\n"));
    assert_film_hint_lands(&ws, (x, y), Vec3b::from([200, 100, 42]));
}

/// The saved file given to `colorize video --hints`: the chosen colour (`bgr`) is on the clicked pixel of frame
/// 39, a keyframe, and the page of that run counts the hint on its frame.
fn assert_film_hint_lands(ws: &Workspace, (x, y): (i64, i64), bgr: Vec3b) {
    let args = [
        "video",
        "film.avi",
        "-o",
        "hinted.avi",
        "--frames-dir",
        "hinted",
        "--frame-format",
        "png",
    ];
    ws.ok(&[
        &args[..],
        &[
            "--hints",
            "downloads/film.hints.csv",
            "--report-json",
            "hinted.json",
            "-q",
        ],
    ]
    .concat());
    let json: Value = serde_json::from_str(&std::fs::read_to_string(ws.path("hinted.json")).unwrap()).unwrap();
    let frame = &json["frames"][39];
    assert_eq!(
        (frame["hints"].as_u64(), frame["kind"].as_str()),
        (Some(1), Some("keyframe")),
        "{frame}"
    );
    let hinted = read_image(&ws.path("hinted/frame_000039.png"));
    let got = ab(*hinted.at_2d::<Vec3b>(y as i32, x as i32).unwrap());
    let want = ab(bgr);
    assert!(
        (got[0] - want[0]).abs() < 8.0 && (got[1] - want[1]).abs() < 8.0,
        "a/b at ({x}, {y}) of frame 39: {got:?}, chosen {want:?}"
    );
}

/// A `file://` address for `path`, every byte but letters, digits, `/`, `-`, `.` and `_` percent-encoded.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Issue 30: a film whose folder and name hold `</script>`, `<!--<script>`, quotes, `$(...)`, spaces and a
/// newline. Its page renders and its script runs (the slider uncovers the picture before, a click places a
/// hint), and its command, pasted into a shell, refinishes that film and runs nothing else.
#[test]
fn a_page_for_a_name_that_is_html_and_shell_runs_its_script_and_its_command_refinishes_the_film() {
    let Some(browser) = browser("a_page_for_a_name_that_is_html_and_shell") else {
        return;
    };
    let ws = Workspace::new();
    let name = "d</script>/<!--<script> \"q\" 'a' $(touch PWNED)\nline.avi";
    let page = crate::report::film_with_page(&ws, name);
    let at = ws
        .path(name)
        .with_file_name("made <!--<script> \"q\" 'a' $(touch PWNED)\nline.report.html");
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&file_url(&at)).unwrap();
    tab.wait_until_navigated().unwrap();
    tab.wait_for_element("body[data-ready='yes']").unwrap();
    assert_rendered(&tab, 12);
    let title = eval(&tab, "[document.title, document.querySelector('h1').textContent]");
    let file = "<!--<script> \"q\" 'a' $(touch PWNED)\nline.avi";
    // A document's title reads its white space as one space.
    let titled = file.replace('\n', " ");
    assert_eq!(title, serde_json::json!([format!("Review: {titled}"), file]));
    let slid = "(() => { const s = document.querySelector('#frame-0 .slider'); s.value = 30; \
                s.dispatchEvent(new Event('input')); return document.querySelector('#frame-0 .after').style.clipPath; })()";
    assert!(eval(&tab, slid).as_str().unwrap().contains("70%"));
    let (point, _) = spot(&tab, "#frame-0", (0.5, 0.5), (160, 120));
    tab.click_point(point).unwrap();
    assert_eq!(eval(&tab, "document.querySelectorAll('#hint-list tbody tr').length"), 1);
    let shown = eval(&tab, "document.getElementById('hint-command').textContent");
    assert_eq!(shown.as_str().unwrap(), crate::report::page_command(&page));
    crate::report::assert_page_command_refinishes(&ws, name, &page);
}

/// A page of DDColor's photos (no measure of doubt) in the browser: the photo shown, no heat map, the header saying
/// why, and a hint clicked and saved lands in its colour when the page's command, which keeps `--model ddcolor`, is
/// pasted into a shell.
#[test]
fn a_ddcolor_photo_page_renders_without_heat_maps_and_its_command_applies_a_clicked_hint() {
    let test = "a_ddcolor_photo_page_renders_without_heat_maps_and_its_command_applies_a_clicked_hint";
    let (Some(onnx), Some(browser)) = (crate::ddcolor::onnx(test), browser(test)) else {
        return;
    };
    let ws = Workspace::new();
    write_image(&ws.path("photo.png"), &crate::report::picture(0, 0, false));
    let args = ["image", "photo.png", "-o", "out", "--format", "png", "--report", "-q"];
    ws.ok(&crate::ddcolor::with_ddcolor(&onnx, &args));
    let tab = open(&browser, &ws.path("out/report.html"));
    assert_rendered(&tab, 1);
    assert_eq!(
        eval(&tab, "document.querySelectorAll('img.heat, .show-heat').length"),
        0
    );
    let header = eval(&tab, "document.querySelector('header').innerText");
    assert!(
        header
            .as_str()
            .unwrap()
            .contains("DDColor gives one colour and no measure of its doubt"),
        "{header}"
    );
    choose(&tab, "#c83232", 8);
    let (point, (x, y)) = spot(&tab, "#frame-0", (0.5, 0.5), (160, 120));
    tab.click_point(point).unwrap();
    save(&tab, &ws.path("."), "report.hints.csv");
    let command = eval(&tab, "document.getElementById('hint-command').textContent");
    let command = command.as_str().unwrap();
    assert!(
        command.contains("--model ddcolor ") && !command.contains("--temperature"),
        "{command}"
    );
    assert!(crate::report::paste(&ws, command).status.success(), "{command}");
    let hinted = read_image(&ws.path("out/Color_photo.png"));
    let got = crate::ddcolor::ab_at(&hinted, (x as i32, y as i32));
    assert!(
        crate::ddcolor::off(got, [50, 50, 200]) < 8.0,
        "a/b at ({x}, {y}): {got:?}, far from #c83232"
    );
}
