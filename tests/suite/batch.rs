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
