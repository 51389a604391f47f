//! Shards' parts of a film (`--shard I/N --no-frames -o part-I.mp4`): each written with its record, an empty one
//! too, and joined by `assemble` only as their shards wrote them.

use opencv::core::Size;

use crate::shards::three_parts;
use crate::support::{fails_with, make_clip, read_video, write_video, Workspace};

/// Issue 23, BAD 4: a 2-frame film in 3 shards with `--no-frames` left shard 0 without frames; ffmpeg refused to
/// finish its empty part, so no part and no record were written and `assemble` said forever that shard 0/3 had not
/// run. The empty part is written with its record, and `assemble` joins the others, as frames mode does.
#[test]
fn a_shard_without_frames_writes_an_empty_part_that_assemble_joins() {
    let ws = Workspace::new();
    write_video(&ws.path("two.avi"), 10.0, Size::new(32, 24), &[40, 120]);
    for i in 0..3 {
        let (shard, part) = (format!("{i}/3"), format!("part-{i}.mp4"));
        ws.ok(&["video", "two.avi", "--no-frames", "--shard", &shard, "-o", &part, "-q"]);
        assert!(
            ws.path(&format!(".part-{i}.mp4.colorize-manifest")).is_file(),
            "no record of {part}"
        );
    }
    let said = ws.ok(&["assemble", "part-0.mp4", "part-1.mp4", "part-2.mp4", "-o", "two.mp4"]);
    assert!(said.contains("assembled 2 frames"), "{said}");
    assert_eq!(read_video(&ws.path("two.mp4")).frames.len(), 2);
}

/// Issue 23, WEAK: a part cut short was refused with "(is the disk full?)", and a part replaced by another film's
/// content of the same length was joined. Each is refused, naming the part, and nothing is written.
#[test]
fn a_part_cut_short_or_replaced_since_its_shard_wrote_it_is_refused() {
    let ws = Workspace::new();
    three_parts(&ws, false);
    let whole = std::fs::read(ws.path("part-1.mp4")).unwrap();
    let before = ws.entries();
    let assemble = || ws.run(&["assemble", "part-0.mp4", "part-1.mp4", "part-2.mp4", "-o", "joined.mp4"]);
    std::fs::write(ws.path("part-1.mp4"), &whole[..whole.len() / 2]).unwrap();
    fails_with(
        &assemble(),
        1,
        &[
            "part-1.mp4 is not the part its shard wrote",
            "colorize that shard again",
        ],
    );
    let mut other = whole.clone();
    let middle = other.len() / 2;
    other[middle] ^= 0xff;
    std::fs::write(ws.path("part-1.mp4"), &other).unwrap();
    fails_with(&assemble(), 1, &["part-1.mp4 is not the part its shard wrote"]);
    assert_eq!(ws.entries(), before, "a refused assemble left something");
    std::fs::write(ws.path("part-1.mp4"), &whole).unwrap();
    assert!(assemble().status.success());
}

/// Issue 23, WEAK: `--audio-from` another film gave no note. One whose sound ends well before the film does gets
/// one (a longer film's sound cannot be told from the film's own, sliced).
#[test]
fn assemble_notes_a_sound_that_ends_before_the_film() {
    let ws = Workspace::new();
    three_parts(&ws, true);
    make_clip(&ws.path("short.mp4"), "24", 0.1, true);
    let parts = ["assemble", "part-0.mp4", "part-1.mp4", "part-2.mp4"];
    let said = ws.ok(&[&parts[..], &["-o", "joined.mp4", "--audio-from", "short.mp4"]].concat());
    assert!(
        said.contains("note: the sound of short.mp4 ends 1.") && said.contains("before the picture does"),
        "{said}"
    );
    let said = ws.ok(&[&parts[..], &["-o", "own.mp4", "--audio-from", "film.mp4"]].concat());
    assert!(!said.contains("ends") && !said.contains("no sound"), "{said}");
}
