//! The fingerprint's text on disk, pinned; and a sample the other records' tests share.

use super::*;

/// A fingerprint with every field set to something recognisable.
pub fn sample() -> Fingerprint {
    Fingerprint {
        prediction: Prediction {
            input: "3000000:0a1b".into(),
            model: Identity {
                engine: Engine::OpenVino,
                precision: Precision::Int8,
                network: Network::Eccv16 {
                    softmax_scale: 2.606,
                    prototxt: "aa11".into(),
                    caffemodel: "bb22".into(),
                    points: "cc33".into(),
                },
            },
            width: Some(160),
            render_size: 224,
            exact: false,
            keyframe_interval: Interval::Every(3),
            start: 10,
        },
        finishing: Finishing {
            painter: 2,
            smooth: 0.5,
            saturation: 1.0,
            frame_format: Some("jpg".into()),
            hints: Some("ee44".into()),
        },
    }
}

#[test]
fn the_text_on_disk_is_pinned_field_by_field() {
    assert_eq!(
        sample().to_text(),
        "input=3000000:0a1b\n\
         backend=openvino\n\
         precision=int8\n\
         softmax-scale=2.606\n\
         prototxt-sha256=aa11\n\
         caffemodel-sha256=bb22\n\
         points-sha256=cc33\n\
         width=160\n\
         render-size=224\n\
         exact=off\n\
         keyframe-interval=3\n\
         start=10\n\
         painter=2\n\
         smooth=0.5\n\
         saturation=1\n\
         frame-format=jpg\n\
         hints=ee44\n"
    );
}

#[test]
fn the_halves_split_where_the_prediction_ends() {
    let f = sample();
    assert!(f.prediction_text().ends_with("start=10\n"));
    assert!(f.finishing_text().starts_with("painter=2\n"));
    assert_eq!(f.prediction_text() + &f.finishing_text(), f.to_text());
}

#[test]
fn every_backend_precision_and_absent_value_has_its_own_spelling() {
    let mut f = sample();
    f.prediction.width = None;
    f.prediction.exact = true;
    f.finishing.frame_format = None;
    f.finishing.hints = None;
    let text = f.to_text();
    for line in ["width=none\n", "exact=on\n", "frame-format=none\n", "hints=none\n"] {
        assert!(text.contains(line), "{line} not in {text}");
    }
    for (engine, line) in [
        (Engine::OpenCv, "backend=opencv\n"),
        (Engine::OpenVino, "backend=openvino\n"),
        (Engine::Cuda { half: true }, "backend=cuda\n"),
        (Engine::Cuda { half: false }, "backend=cuda-fp32\n"),
    ] {
        f.prediction.model.engine = engine;
        let text = f.to_text();
        assert!(text.contains(line), "{line} not in {text}");
        assert_eq!(Fingerprint::parse(&text).unwrap(), f);
    }
    for (precision, line) in [
        (Precision::Float, "precision=float\n"),
        (Precision::Int8, "precision=int8\n"),
    ] {
        f.prediction.model.precision = precision;
        let text = f.to_text();
        assert!(text.contains(line), "{line} not in {text}");
        assert_eq!(Fingerprint::parse(&text).unwrap(), f);
    }
}

#[test]
fn what_is_written_reads_back_and_nothing_else_does() {
    let f = sample();
    assert_eq!(Fingerprint::parse(&f.to_text()).unwrap(), f);
    let text = f.to_text();
    for broken in [
        text.replace("width=160", "width=Some(160)"),
        text.replace("backend=openvino", "backend=OpenVino"),
        text.replace("precision=int8\n", ""),
        text.replace("precision=int8", "precision=Int8"),
        text.replace("exact=off", "exact=false"),
        text.replace("smooth=0.5", "smooth=0.50"),
        text.replace("start=10\n", ""),
        format!("{text}hints=none\n"),
        text.replace("hints=ee44\n", ""),
        String::new(),
    ] {
        assert!(Fingerprint::parse(&broken).is_err(), "{broken}");
    }
}

#[test]
fn a_change_names_the_setting_and_its_values() {
    let was = sample();
    let mut now = sample();
    now.prediction.width = None;
    if let Network::Eccv16 { caffemodel, .. } = &mut now.prediction.model.network {
        *caffemodel = "dd44".into();
    }
    now.finishing.saturation = 1.5;
    let said: Vec<String> = now.changes_from(&was).iter().map(|c| c.to_string()).collect();
    assert_eq!(
        said,
        [
            "the model's weights changed",
            "--width was 160, now none",
            "--saturation was 1, now 1.5"
        ]
    );
    assert!(was.changes_from(&sample()).is_empty());
}

#[test]
fn ddcolor_writes_its_file_in_place_of_the_2016_networks_four_and_reads_back() {
    let mut f = sample();
    f.prediction.model.network = Network::DDColor { onnx: "dd55".into() };
    let text = f.to_text();
    assert!(
        text.starts_with("input=3000000:0a1b\nbackend=openvino\nprecision=int8\nonnx-sha256=dd55\nwidth=160\n"),
        "{text}"
    );
    assert_eq!(Fingerprint::parse(&text).unwrap(), f);
    assert!(f.prediction_text().ends_with("start=10\n"));
    let said: Vec<String> = f.changes_from(&sample()).iter().map(|c| c.to_string()).collect();
    assert_eq!(said, ["--model was eccv16, now ddcolor"]);
    let mixed = text.replace("onnx-sha256=dd55\n", "onnx-sha256=dd55\nsoftmax-scale=2.606\n");
    assert!(Fingerprint::parse(&mixed).is_err(), "{mixed}");
}
