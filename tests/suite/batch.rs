//! A shelf of films in one command: one model for the batch, a broken film reported while the rest go on, and a
//! rerun that skips what is done and resumes what is not.

use opencv::core::Size;

use crate::support::{fails_with, names, read_video, stderr, write_video, Workspace};

fn shelf(ws: &Workspace) {
    write_video(&ws.path("input_videos/a.avi"), 10.0, Size::new(32, 24), &[20, 60, 100]);
    write_video(
        &ws.path("input_videos/b.avi"),
        10.0,
        Size::new(32, 24),
        &[30, 70, 110, 150, 190],
    );
    std::fs::write(ws.path("input_videos/broken.mp4"), b"not a film at all").unwrap();
}

#[test]
fn with_no_film_named_every_film_in_input_videos_is_colorized_and_a_broken_one_named() {
    let ws = Workspace::new();
    shelf(&ws);
    let out = ws.run(&["video", "-q"]);
    fails_with(&out, 1, &["broken.mp4"]);
    let err = stderr(&out);
    assert_eq!(err.matches("model loaded once").count(), 1, "{err}");
    assert_eq!(names(&ws.path("colorized_videos")), ["a.avi", "b.avi"]);
    assert_eq!(names(&ws.path("colorized_frames/a")).len(), 3);
    assert_eq!(names(&ws.path("colorized_frames/b")).len(), 5);
    assert_eq!(read_video(&ws.path("colorized_videos/b.avi")).frames.len(), 5);

    // Again: nothing is made twice.
    let before = std::fs::metadata(ws.path("colorized_videos/a.avi"))
        .unwrap()
        .modified()
        .unwrap();
    let again = ws.run(&["video", "-q"]);
    let err = stderr(&again);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("is there already, skipped").count(), 2, "{err}");
    assert!(
        !err.contains("colorized 3 frames") && !err.contains("colorized 5 frames"),
        "{err}"
    );
    let after = std::fs::metadata(ws.path("colorized_videos/a.avi"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_batch_rerun_resumes_the_film_it_stopped_in() {
    let ws = Workspace::new();
    shelf(&ws);
    std::fs::remove_file(ws.path("input_videos/broken.mp4")).unwrap();
    assert!(ws.run(&["video", "input_videos/a.avi", "-q"]).status.success());
    // What a stop partway through b leaves: its first frames and their record, no film.
    assert!(ws
        .run(&["video", "input_videos/b.avi", "--end", "2", "-q"])
        .status
        .success());
    std::fs::remove_file(ws.path("colorized_videos/b.avi")).unwrap();

    let out = ws.run(&["video", "input_videos", "-q"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("a.avi is there already, skipped"), "{err}");
    assert!(
        err.contains("colorized 5 frames") && err.contains("2 already done"),
        "{err}"
    );
    assert_eq!(read_video(&ws.path("colorized_videos/b.avi")).frames.len(), 5);
}

#[test]
fn films_of_one_name_get_their_own_outputs_and_o_names_a_folder() {
    let ws = Workspace::new();
    write_video(&ws.path("x/reel.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    write_video(&ws.path("y/reel.avi"), 10.0, Size::new(32, 24), &[90, 130, 170]);
    let out = ws.run(&["video", "x/reel.avi", "y/reel.avi", "-o", "films", "-q"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("another film is named reel").count(), 1, "{err}");
    assert_eq!(names(&ws.path("films")), ["reel-2.avi", "reel.avi"]);
    assert_eq!(read_video(&ws.path("films/reel-2.avi")).frames.len(), 3);
    assert_eq!(names(&ws.path("colorized_frames/reel-2")).len(), 3);

    let out = ws.run(&["video", "x/reel.avi", "y/reel.avi", "-o", "one.mp4", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("-o names the folder"), "{}", stderr(&out));
}

#[test]
fn no_film_and_no_input_videos_folder_says_what_to_do() {
    let ws = Workspace::new();
    let out = ws.run(&["video"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("input_videos/"), "{}", stderr(&out));
}

/// Issue 23, BAD 1: with reel.mp4 done, reel.mkv (another film) was "there already, skipped" because reel.avi, the
/// colour of reel.mp4, had its name, and was never colorized. A film's outputs are tied to it by its content:
/// reel.mkv gets reel-2, said once, and reel.mp4's film is left as it was.
#[test]
fn a_film_is_not_skipped_because_another_films_output_has_its_name() {
    let ws = Workspace::new();
    write_video(
        &ws.path("input_videos/reel.mp4"),
        10.0,
        Size::new(32, 24),
        &[20, 60, 100],
    );
    ws.ok(&["video", "-q"]);
    let made = std::fs::metadata(ws.path("colorized_videos/reel.avi"))
        .unwrap()
        .modified()
        .unwrap();
    write_video(&ws.path("other.avi"), 10.0, Size::new(32, 24), &[30, 70, 110, 150]);
    std::fs::rename(ws.path("other.avi"), ws.path("input_videos/reel.mkv")).unwrap();
    let said = ws.ok(&["video", "-q"]);
    assert!(
        said.contains(
            "note: colorized_videos/reel.avi was made from input_videos/reel.mp4; input_videos/reel.mkv is written \
             as reel-2"
        ),
        "{said}"
    );
    assert!(
        said.contains("colorized_videos/reel.avi is there already, skipped"),
        "{said}"
    );
    assert_eq!(read_video(&ws.path("colorized_videos/reel-2.avi")).frames.len(), 4);
    assert_eq!(names(&ws.path("colorized_frames/reel-2")).len(), 4);
    let after = std::fs::metadata(ws.path("colorized_videos/reel.avi"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        (made, read_video(&ws.path("colorized_videos/reel.avi")).frames.len()),
        (after, 3)
    );
    // Again: both are done, under the names they were given.
    let said = ws.ok(&["video", "-q"]);
    assert_eq!(said.matches("is there already, skipped").count(), 2, "{said}");
    assert!(!said.contains("note:"), "{said}");
}

/// Issue 23, BAD 1: `video x/reel.avi y/reel.avi`, then `video y/reel.avi x/reel.avi`, skipped each film for the
/// other's output. Each finds its own.
#[test]
fn films_of_one_name_named_in_another_order_find_their_own_outputs() {
    let ws = Workspace::new();
    write_video(&ws.path("x/reel.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    write_video(&ws.path("y/reel.avi"), 10.0, Size::new(32, 24), &[90, 130, 170]);
    ws.ok(&["video", "x/reel.avi", "y/reel.avi", "-o", "films", "-q"]);
    let before = names(&ws.path("films"));
    let said = ws.ok(&["video", "y/reel.avi", "x/reel.avi", "-o", "films", "-q"]);
    assert!(
        said.contains("y/reel.avi (1 of 2): films/reel-2.avi is there already"),
        "{said}"
    );
    assert!(
        said.contains("x/reel.avi (2 of 2): films/reel.avi is there already"),
        "{said}"
    );
    assert_eq!(names(&ws.path("films")), before);
    assert_eq!(read_video(&ws.path("films/reel-2.avi")).frames.len(), 3);
}

/// Issue 23, BAD 1: a film stopped partway leaves its frames under its name; another film of that name that comes
/// first in the folder takes another name instead of being refused those frames, and the first film resumes.
#[test]
fn a_film_stopped_partway_resumes_though_another_of_its_name_comes_first() {
    let ws = Workspace::new();
    write_video(
        &ws.path("input_videos/reel.mp4"),
        10.0,
        Size::new(32, 24),
        &[20, 60, 100, 140],
    );
    // What a stop partway through leaves: its first frames and their record, no film.
    ws.ok(&["video", "input_videos/reel.mp4", "--end", "2", "-q"]);
    std::fs::remove_file(ws.path("colorized_videos/reel.avi")).unwrap();
    write_video(&ws.path("other.avi"), 10.0, Size::new(32, 24), &[30, 70, 110]);
    std::fs::rename(ws.path("other.avi"), ws.path("input_videos/reel.mkv")).unwrap();
    let said = ws.ok(&["video", "-q"]);
    assert!(
        said.contains(
            "colorized_frames/reel holds the frames of another film; input_videos/reel.mkv is written as reel-2"
        ),
        "{said}"
    );
    assert!(
        said.contains("colorized 4 frames") && said.contains("2 already done"),
        "{said}"
    );
    assert_eq!(read_video(&ws.path("colorized_videos/reel.avi")).frames.len(), 4);
    assert_eq!(read_video(&ws.path("colorized_videos/reel-2.avi")).frames.len(), 3);
}

/// Issue 23, BAD 1: a film `-o` names that another film made was "there already, skipped". It is refused, naming the
/// film it was made from, and replaced only with --overwrite.
#[test]
fn a_film_named_by_o_that_another_film_made_is_refused_without_overwrite() {
    let ws = Workspace::new();
    write_video(&ws.path("a.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    write_video(&ws.path("b.avi"), 10.0, Size::new(32, 24), &[90, 130, 170]);
    ws.ok(&["video", "a.avi", "-o", "mine.avi", "--no-frames", "-q"]);
    let before = ws.entries();
    let out = ws.run(&["video", "b.avi", "-o", "mine.avi", "--no-frames", "-q"]);
    fails_with(
        &out,
        1,
        &["mine.avi was made from a.avi", "pass --overwrite to replace it"],
    );
    assert_eq!(ws.entries(), before);
    ws.ok(&["video", "b.avi", "-o", "mine.avi", "--no-frames", "--overwrite", "-q"]);
    assert_eq!(read_video(&ws.path("mine.avi")).frames.len(), 3);
    let said = ws.ok(&["video", "b.avi", "-o", "mine.avi", "--no-frames", "-q"]);
    assert!(said.contains("mine.avi is there already, skipped"), "{said}");
}

/// Issue 23, WEAK: one film named as a file, as its folder and as `./file` was colorized three times.
#[test]
fn a_film_named_as_a_file_its_folder_and_dot_file_is_colorized_once() {
    let ws = Workspace::new();
    write_video(&ws.path("reels/reel.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    let said = ws.ok(&["video", "reels/reel.avi", "reels", "./reels/reel.avi", "-q"]);
    assert!(
        said.contains("note: reels/reel.avi is named twice; it is colorized once"),
        "{said}"
    );
    assert!(
        said.contains("note: ./reels/reel.avi is named twice (as reels/reel.avi); it is colorized once"),
        "{said}"
    );
    assert_eq!(said.matches("colorized 2 frames").count(), 1, "{said}");
    assert_eq!(names(&ws.path("colorized_videos")), ["reel.avi"]);
}

/// Issue 23, WEAK: subfolders and links to nothing in an input folder were skipped without a word; and after
/// `video -o input_videos` the next run refused the whole batch, its own films having become inputs.
#[test]
fn what_an_input_folder_leaves_out_is_said_and_its_own_colour_is_no_input() {
    let ws = Workspace::new();
    write_video(&ws.path("input_videos/reel.mp4"), 10.0, Size::new(32, 24), &[20, 60]);
    write_video(&ws.path("input_videos/more/other.avi"), 10.0, Size::new(32, 24), &[90]);
    std::os::unix::fs::symlink(ws.path("gone.avi"), ws.path("input_videos/gone.avi")).unwrap();
    let said = ws.ok(&["video", "-o", "input_videos", "-q"]);
    assert!(
        said.contains("note: input_videos/more is a folder, left out (name it"),
        "{said}"
    );
    assert!(
        said.contains("note: input_videos/gone.avi is a link to nothing, left out"),
        "{said}"
    );
    assert_eq!(read_video(&ws.path("input_videos/reel.avi")).frames.len(), 2);
    let said = ws.ok(&["video", "-o", "input_videos", "-q"]);
    assert!(
        said.contains("note: input_videos/reel.avi is colorize's film of input_videos/reel.mp4, left out"),
        "{said}"
    );
    assert!(
        said.contains("input_videos/reel.avi is there already, skipped"),
        "{said}"
    );
}

/// Issue 23, WEAK: with a folder input, `-o DIR` wrote into DIR for two films but said "is a folder" for one.
#[test]
fn o_naming_a_folder_takes_one_film_as_it_takes_two() {
    let ws = Workspace::new();
    write_video(&ws.path("reels/reel.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    std::fs::create_dir(ws.path("out")).unwrap();
    ws.ok(&["video", "reels", "-o", "out", "-q"]);
    assert_eq!(names(&ws.path("out")), ["reel.avi"]);
}

/// Issue 23, WEAK: two batches at once reported each other's films as failed, and a second run into a folder being
/// written was refused only after the model had loaded. A batch leaves a film another run is writing to it and goes
/// on; a single film is refused before the model is read.
#[test]
fn a_film_another_run_is_writing_is_left_to_it() {
    let ws = Workspace::new();
    shelf(&ws);
    std::fs::remove_file(ws.path("input_videos/broken.mp4")).unwrap();
    std::fs::create_dir_all(ws.path("colorized_frames/a")).unwrap();
    // The same lock another colorize process takes for the folder it writes.
    let lock = colorize::output::FolderLock::acquire(&ws.path("colorized_frames/a"), None).unwrap();
    let said = ws.ok(&["video", "-q"]);
    assert!(
        said.contains("colorized_frames/a is being written by another colorize run, skipped"),
        "{said}"
    );
    assert!(said.contains("input_videos/a.avi: left to another run"), "{said}");
    assert_eq!(names(&ws.path("colorized_videos")), ["b.avi"]);
    let out = ws.run(&["video", "input_videos/a.avi", "--model-dir", "nowhere", "-q"]);
    fails_with(
        &out,
        1,
        &["colorized_frames/a is being written by another colorize run"],
    );
    drop(lock);
    ws.ok(&["video", "-q"]);
    assert_eq!(names(&ws.path("colorized_videos")), ["a.avi", "b.avi"]);
}
